/** The oldest Node.js Signet runs on: package.json `engines`, README "Set up". */
export const MIN_NODE = [20, 19] as const;

/**
 * The message for a Node.js older than {@link MIN_NODE}, or null when `version` (as in
 * `process.versions.node`) is new enough. `main.ts` checks it before loading anything else, so an
 * old Node says what to do instead of failing inside some import.
 *
 * @example
 * checkNodeVersion('18.19.0'); // 'Node.js 20.19 or newer is needed; this is Node.js 18.19.0. …'
 */
export function checkNodeVersion(version: string): string | null {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return null;
  return (
    `Node.js ${MIN_NODE.join('.')} or newer is needed; this is Node.js ${version}. ` +
    'Install a current Node.js (https://nodejs.org, or `nvm install --lts`), then run `npm install` again ' +
    '(its native addons are built for the Node.js that installs them)'
  );
}
