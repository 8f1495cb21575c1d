import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.bench/**', 'tools/**', '.venv/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/test/**/*.ts', 'test/**/*.ts', 'scripts/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The one NAT model (issue 17, docs/ARCHITECTURE.md): nat/ is the only reader of a plan's before/after values
  // and the only interpreter of EC2 NAT shapes; plan/ owns the plan format. Everything else asks them.
  {
    files: ['packages/shared/src/**/*.ts'],
    ignores: ['packages/shared/src/nat/**', 'packages/shared/src/plan/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.property.name='change'][property.name=/^(after|before)$/]",
          message:
            'Read plan values through nat/ (NAT attributes) or plan/ (the plan format), not change.after/before.',
        },
        {
          selector: "MemberExpression[property.name='after_unknown']",
          message: 'Read what is unknown until apply through nat/ or plan/ (unknownAt), not after_unknown.',
        },
        {
          selector:
            "VariableDeclarator[init.property.name='change'] > ObjectPattern > Property[key.name=/^(after|before|after_unknown)$/]",
          message:
            'Read plan values through nat/ (NAT attributes) or plan/ (the plan format), not change.after/before.',
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@aws-sdk/client-ec2',
              importNames: ['NatGateway', 'Instance', 'NetworkInterface', 'Address', 'RouteTable'],
              message: 'EC2 NAT shapes are interpreted in nat/ only (ec2.ts, ec2-nats.ts): ask the NAT model.',
            },
          ],
        },
      ],
    },
  },
  // Untrusted text never becomes a workflow command (issue 20, report/commands.ts): core.info writes raw, so the log
  // is written through report's info() (inertText), and process.stdout / console only by plan-guard's --local mode.
  {
    files: ['packages/shared/src/**/*.ts', 'actions/*/src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'core',
          property: 'info',
          message: 'core.info writes raw workflow commands: use info() from report/ (it applies inertText).',
        },
      ],
    },
  },
  // The shape of the shipped source (issue 17): files ≤ 400 lines, functions ≤ 80 lines, lines ≤ 120 columns.
  {
    files: ['packages/*/src/**/*.{ts,mjs,js}', 'actions/*/src/**/*.ts'],
    plugins: { '@stylistic': stylistic },
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
      '@stylistic/max-len': ['error', { code: 120, tabWidth: 2 }],
    },
  },
);
