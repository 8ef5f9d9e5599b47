import { readFile } from 'node:fs/promises';

let script: Promise<string> | null = null;

/**
 * The console's page script as JavaScript. A build (`tsc`) puts `consoleClient.js` beside this
 * module and it is read as is; from a source checkout run through tsx, only `consoleClient.ts`
 * is there, and it is transpiled once with TypeScript (a dev dependency, present in that case).
 * Read once per process.
 */
export function loadConsoleScript(): Promise<string> {
  script ??= readFile(new URL('./consoleClient.js', import.meta.url), 'utf8')
    // The build's source map is not served: drop the comment that points the browser to it.
    .then((js) => js.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'))
    .catch(async (e: unknown) => {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      const source = await readFile(new URL('./consoleClient.ts', import.meta.url), 'utf8');
      const ts = (await import('typescript')).default;
      return ts.transpileModule(source, {
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          removeComments: false,
        },
        fileName: 'consoleClient.ts',
      }).outputText;
    });
  return script;
}
