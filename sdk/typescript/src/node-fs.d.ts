// The one Node API the SDK touches (uploads from a path), declared here so that the SDK needs
// no @types/node; it is imported only when a caller passes { path }.
declare module 'node:fs/promises' {
  export function readFile(path: string): Promise<Uint8Array>;
}
