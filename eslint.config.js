// Lint TypeScript sources. Renderer (Svelte) files get their own config once the workbench lands.
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
  }
)
