/** Placeholder until the package's issue fills it. */
export const PACKAGE = '@wsasec/conformance';
