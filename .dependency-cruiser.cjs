/**
 * The module graph of packages/shared/src (docs/ARCHITECTURE.md), enforced in `pnpm test` (`pnpm depcruise`):
 *
 *   platform (runtime, inputs, limits, report, github, aws, seal)
 *     ← format (plan, terraform)
 *     ← model (nat)
 *     ← users (review, egress, cutover, advisor, imagebuilder, ami)
 *
 * Imports point left only, never in a cycle; among the users only the edges listed in USER_EDGES exist; shared
 * code never imports an action or the CLI, and an action never imports another action.
 */
const SRC = '^packages/shared/src/';
const PLATFORM = ['runtime', 'inputs', 'limits', 'report', 'github', 'aws', 'seal'];
const FORMAT = ['plan', 'terraform'];
const MODEL = ['nat'];
const USERS = ['review', 'egress', 'cutover', 'advisor', 'imagebuilder', 'ami'];
/** user → the other users it may import. */
const USER_EDGES = {
  review: ['ami'],
  egress: ['advisor'],
  // cutover → advisor: the bridge's capacity check reads the NATs' measured peak and instance bandwidth.
  cutover: ['ami', 'egress', 'advisor'],
  advisor: [],
  imagebuilder: ['ami'],
  ami: [],
};

const folders = (names) => `${SRC}(${names.join('|')})/`;
const layerRule = (name, from, notTo) => ({
  name,
  severity: 'error',
  comment: `${from.join(', ')} may not import ${notTo.join(', ')} (imports point towards the platform)`,
  from: { path: folders(from) },
  to: { path: folders(notTo) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle between modules: the graph has no back edges',
      from: {},
      to: { circular: true },
    },
    {
      name: 'known-folders-only',
      severity: 'error',
      comment: 'every folder of packages/shared/src belongs to one layer of docs/ARCHITECTURE.md',
      from: { path: SRC, pathNot: `${folders([...PLATFORM, ...FORMAT, ...MODEL, ...USERS])}|${SRC}[^/]+$` },
      to: {},
    },
    layerRule('platform-imports-only-platform', PLATFORM, [...FORMAT, ...MODEL, ...USERS]),
    layerRule('format-imports-no-model-or-users', FORMAT, [...MODEL, ...USERS]),
    layerRule('model-imports-no-users', MODEL, USERS),
    ...USERS.map((user) => {
      const others = USERS.filter((u) => u !== user && !USER_EDGES[user].includes(u));
      return layerRule(`${user}-imports-only-its-listed-users`, [user], others);
    }),
    {
      name: 'shared-imports-no-action-or-cli',
      severity: 'error',
      from: { path: '^packages/shared/' },
      to: { path: '^(actions|packages/cli)/' },
    },
    {
      name: 'actions-import-no-other-action',
      severity: 'error',
      from: { path: '^actions/([^/]+)/src/' },
      to: { path: '^actions/([^/]+)/', pathNot: '^actions/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
