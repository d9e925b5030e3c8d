// Jest reads `testTimeout` from the global configuration only, not from a project's: the e2e
// specs, which start real apps, get their longer budget here.
jest.setTimeout(30_000);
