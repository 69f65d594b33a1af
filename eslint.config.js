import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

const STAGES = ['issues', 'sources', 'analysis', 'actions', 'notify'];
const ABOVE_STAGES = ['pipeline', 'server', 'mcp', 'cli', 'main.js', 'cli.js'];

/** One no-restricted-imports block per layer: what a file in it may never import, with the reason. */
function layerRules() {
  const block = (folders, forbidden, message) => ({
    files: folders.map((f) => `src/${f}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: forbidden.flatMap((f) => [`**/${f}/*`, `**/${f}`]), message }] }],
    },
  });
  return [
    block(['model'], ['store', 'config', ...STAGES, ...ABOVE_STAGES], 'the model is the bottom layer: it imports only errors.ts'),
    block(['config'], ['store', ...STAGES, ...ABOVE_STAGES], 'config sits at the bottom, beside the model'),
    block(['store'], ['config', ...STAGES, ...ABOVE_STAGES], 'the store imports only the model (shared types live in src/model/)'),
    ...STAGES.map((stage) =>
      block([stage], [...STAGES.filter((s) => s !== stage), ...ABOVE_STAGES], 'stages never import each other or the wiring: share types through src/model/, join stages in src/pipeline/'),
    ),
    block(['pipeline'], ['server', 'mcp', 'cli', 'main.js', 'cli.js'], 'the pipeline is below the HTTP server, the MCP adapter, the CLI and the composition root'),
    block(['server'], ['mcp', 'cli', 'main.js', 'cli.js'], 'the HTTP server does not import the MCP adapter (main.ts hands the /mcp route its factory), the CLI or the composition root'),
    // Relative patterns only: the SDK's own paths (@modelcontextprotocol/sdk/server/…) are what this layer is for.
    {
      files: ['src/mcp/**/*.ts'],
      rules: {
        'no-restricted-imports': ['error', {
          patterns: [{
            group: ['.*/server/*', '.*/server', '.*/cli/*', '.*/cli', '.*/main.js', '.*/cli.js', '../../server/**'],
            message: 'the MCP adapter sits beside the HTTP server: only the CLI handler and main.ts import it',
          }],
        }],
      },
    },
  ];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/server/dashboard/assets/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // The layers of STYLE §1 (test/architecture/imports.test.ts checks the same table in `npm test`): the model at the
  // bottom, then the store, then the stages, which never import each other, then pipeline/, server/, the CLI, main.
  ...layerRules(),
  {
    files: ['**/*.test.ts'],
    plugins: { vitest },
    rules: { ...vitest.configs.recommended.rules, 'vitest/expect-expect': 'error' },
  },
);
