import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilities } from '../../../src/import/kong/capabilities.js';
import { ALL } from './support.js';

test("this gwctl's schema takes every spec field the Kong import maps to, so none is left 'not mapped yet'", () => {
  assert.deepEqual(capabilities(), ALL);
});
