import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * kafkajs is reached through @fraudstream/shared only: shared/src/kafka/ mends it before it loads, and
 * a kafkajs loaded any other way first would run unmended (or stop the mends' install).
 */
const kafkajsElsewhere = 'Use kafkajs through @fraudstream/shared (shared/src/kafka/), which mends it before it loads';
const kafkajs = String.raw`/^kafkajs(\W|$)/`;
/**
 * require('…'), require.resolve('…'), createRequire(…)('…'), module.require('…'). (`import x = require('…')`
 * and `typeof import('…')` are refused already, by no-require-imports and consistent-type-imports.)
 */
const requireCall = `CallExpression:matches([callee.name=/require/i], [callee.type='CallExpression'], [callee.property.name=/^(require|resolve)$/])`;
const kafkajsFenced = {
  ignores: ['shared/src/kafka/**', 'shared/test/kafka/**'],
  rules: {
    'no-restricted-imports': [
      'error',
      { paths: [{ name: 'kafkajs', message: kafkajsElsewhere }], patterns: [{ group: ['kafkajs/*'], message: kafkajsElsewhere }] },
    ],
    'no-restricted-syntax': [
      'error',
      ...[
        `${requireCall} > Literal.arguments:first-child[value=${kafkajs}]`,
        `${requireCall} > TemplateLiteral.arguments:first-child > TemplateElement:first-child[value.raw=${kafkajs}]`,
        `ImportExpression > Literal.source[value=${kafkajs}]`,
        `ImportExpression > TemplateLiteral.source > TemplateElement:first-child[value.raw=${kafkajs}]`,
      ].map((selector) => ({ selector, message: kafkajsElsewhere })),
    ],
  },
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'tmp/**', '.fraudstream/**', 'coverage/**', 'services/alerts/public/vendor/**', 'model/default/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['services/alerts/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  kafkajsFenced,
);
