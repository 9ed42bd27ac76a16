/**
 * A trust store with more self-signed roots (or, for `verify-chain --ca`, certificates) than this
 * is a public-style bundle, not an internal CA: every one of them can vouch for the upstream.
 */
export const MAX_PRIVATE_ROOTS = 20;
