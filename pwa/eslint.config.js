/**
 * ESLint for the phone app and its unit tests (docs/adr/0057-phone-modules.md). The
 * recommended rules catch real mistakes (unused or undefined names, unreachable code,
 * duplicate keys, values assigned and never read); the few added below keep to the house
 * style without starting a formatting war. Each kind of file gets the globals of the place
 * it runs in: the page, the service worker, or Node.
 *
 * The unit tests live in tests/pwa/js/, outside pwa/, so this file is used from the
 * repository's root and its patterns are relative to it: `npm run lint` in pwa/, which
 * runs `eslint --config pwa/eslint.config.js pwa tests/pwa` there. scripts/test.sh runs it
 * too, so a lint error fails the tests.
 */
import js from '@eslint/js';
import globals from 'globals';

const HOUSE_RULES = {
  'no-var': 'error',
  'prefer-const': 'error',
  eqeqeq: ['error', 'smart'], // `x != null` is the one loose comparison we mean
  'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
  'no-implicit-globals': 'error',
};
const LANGUAGE = { ecmaVersion: 2022, sourceType: 'module' };

export default [
  { ignores: ['**/node_modules/**'] },
  { files: ['pwa/**/*.js', 'pwa/**/*.mjs', 'tests/pwa/**/*.js'], ...js.configs.recommended },
  {
    // The app's ES modules, run in the page.
    files: ['pwa/js/**/*.js'],
    languageOptions: { ...LANGUAGE, globals: { ...globals.browser } },
    rules: HOUSE_RULES,
  },
  {
    // The service worker: a classic script (docs/adr/0011-service-worker-updates.md).
    files: ['pwa/sw.js'],
    languageOptions: { ...LANGUAGE, sourceType: 'script', globals: { ...globals.serviceworker } },
    rules: HOUSE_RULES,
  },
  {
    // Node: this file, the tools the Python tests call, and the unit tests.
    files: ['pwa/eslint.config.js', 'pwa/tools/**/*.mjs', 'tests/pwa/**/*.js'],
    languageOptions: { ...LANGUAGE, globals: { ...globals.node } },
    rules: HOUSE_RULES,
  },
];
