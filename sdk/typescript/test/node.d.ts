// The few Node.js APIs the tests use, declared here because @types/node comes from the npm
// registry, which this project does without. The SDK itself needs none of them.

declare const process: {
  env: Record<string, string | undefined>;
  execPath: string;
  exitCode?: number;
};

declare module 'node:test' {
  type Body = () => unknown | Promise<unknown>;
  export function describe(name: string, body: Body): void;
  export function it(name: string, body: Body): void;
  export function test(name: string, body: Body): void;
  export function before(body: Body): void;
  export function after(body: Body): void;
}

declare module 'node:assert/strict' {
  interface Assert {
    (value: unknown, message?: string): asserts value;
    ok(value: unknown, message?: string): asserts value;
    fail(message?: string): never;
    equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    notEqual(actual: unknown, expected: unknown, message?: string): void;
    deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    match(value: string, pattern: RegExp, message?: string): void;
    rejects(promise: Promise<unknown> | (() => Promise<unknown>), expected?: object | ((error: unknown) => boolean), message?: string): Promise<void>;
  }
  const assert: Assert;
  export default assert;
}

declare module 'node:child_process' {
  interface SpawnResult { status: number | null; stdout: string; stderr: string }
  export function spawnSync(command: string, args: string[], options: { cwd?: string; env?: Record<string, string | undefined>;
    encoding: 'utf8'; timeout?: number; input?: string }): SpawnResult;
}

declare module 'node:fs/promises' {
  export function mkdtemp(prefix: string): Promise<string>;
  export function mkdir(path: string): Promise<void>;
  export function readFile(path: string, encoding: 'utf8'): Promise<string>;
  export function readFile(path: string): Promise<Uint8Array>;
  export function readdir(path: string): Promise<string[]>;
  export function writeFile(path: string, text: string): Promise<void>;
  export function rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void>;
}

declare module 'node:os' {
  export function tmpdir(): string;
}

declare module 'node:path' {
  export function join(...parts: string[]): string;
}

declare module 'node:url' {
  export function fileURLToPath(url: string | URL): string;
}

declare module 'node:http' {
  interface IncomingMessage {
    method?: string; url?: string; headers: Record<string, string | string[] | undefined>;
    on(event: 'data', listener: (chunk: Uint8Array) => void): IncomingMessage;
    on(event: 'end', listener: () => void): IncomingMessage;
  }
  interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string>): ServerResponse;
    end(body?: string): void;
  }
  interface UpgradeSocket {
    write(data: Uint8Array | string): boolean;
    end(): void;
    destroy(): void;
    on(event: 'data' | 'error' | 'close', listener: (value?: unknown) => void): UpgradeSocket;
  }
  interface Server {
    on(event: 'upgrade', listener: (request: IncomingMessage, socket: UpgradeSocket) => void): Server;
    listen(port: number, host: string, callback: () => void): Server;
    address(): { port: number } | string | null;
    close(callback?: () => void): void;
    closeAllConnections(): void;
  }
  export function createServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Server;
}

declare module 'node:crypto' {
  interface Hash { update(text: string): Hash; digest(encoding: 'base64'): string }
  export function createHash(algorithm: 'sha1'): Hash;
}
