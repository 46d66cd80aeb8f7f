// Lint TypeScript sources (engine, CLI, Electron shell, renderer .ts).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'release/', 'test-output/', 'bench-output/', 'models/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Pure numerical code must never reach into Electron; enforced for src-main/engine and io.
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src-main/electron may import electron.' }] }]
    }
  },
  {
    files: ['src-main/electron/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' }
  },
  // Renderer TypeScript: sandboxed browser code. It reaches the main process only through
  // window.recon and may take nothing but types from src-main. (.svelte files are not linted:
  // that needs eslint-plugin-svelte.)
  {
    files: ['src-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to the main process only through window.recon.' }],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs sandboxed in Chromium: no Node built-ins.' },
            { group: ['**/src-main/**'], allowTypeImports: true, message: 'The renderer may import only types from src-main.' }
          ]
        }
      ]
    }
  }
)
