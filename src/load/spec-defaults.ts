/** What the spec means when it leaves a setting out, shared by the checks, the analysis and the plan. */

/** Certificates expiring within this many days are warned about (--warn-days). */
export const DEFAULT_WARN_DAYS = 30;

/** nginx's own default for proxy_ssl_verify_depth. */
export const NGINX_DEFAULT_VERIFY_DEPTH = 1;

/** What a healthCheck leaves out. */
export const DEFAULT_HEALTH_CHECK = {
  path: '/',
  interval: '5s',
  timeout: '2s',
  healthyAfter: 2,
  unhealthyAfter: 2,
} as const;
