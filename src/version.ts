// The version stamped on results (kept equal to package.json by test/version.test.ts).
/** migreplay's version. */
export const VERSION = '0.1.0';
