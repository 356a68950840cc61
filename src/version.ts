/** dtlens's version (package.json's; a unit test keeps them equal), written into reports and exports. */
export const DTLENS_VERSION = '0.1.0';
