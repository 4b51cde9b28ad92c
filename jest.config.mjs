// Jest runs in ESM mode (NestJS 12 is ESM-only): node --experimental-vm-modules, ts-jest useESM.
// Workspace packages resolve to their TypeScript sources, so tests never need a build first.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@conclave/migrations$': '<rootDir>/migrations/index.ts',
    '^@conclave/app-([a-z-]+)$': '<rootDir>/apps/$1/src/index.ts',
    '^@conclave/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.conclave/'],
  rootDir: '.',
};

export default {
  // Per-project testTimeout is ignored by Jest 30; medium and e2e tests boot real databases and processes (an e2e
  // suite's beforeAll boots up to 7 services and trains their teachers: over 3 minutes on a loaded 2-core machine).
  testTimeout: 420_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,migrations}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'medium',
      testMatch: ['<rootDir>/{apps,libs,migrations}/**/*.medium-spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
