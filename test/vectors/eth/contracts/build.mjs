// Compiles the contracts of this folder with the npm `solc` package (the compiler as JS, pinned
// in package.json: no download at run time) and writes compiled.json: each contract's creation
// bytecode as 0x hex. Run from the repository root: node test/vectors/eth/contracts/build.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const here = dirname(fileURLToPath(import.meta.url));
const files = ['SmartAccount.sol', 'UniversalSigValidator.sol'];
const input = {
  language: 'Solidity',
  sources: Object.fromEntries(files.map((f) => [f, { content: readFileSync(join(here, f), 'utf8') }])),
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const compiled = { compiler: `solc ${solc.version()}`, optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', contracts: {} };
for (const file of files) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    compiled.contracts[name] = `0x${c.evm.bytecode.object}`;
  }
}
writeFileSync(join(here, 'compiled.json'), `${JSON.stringify(compiled, null, 2)}\n`);
console.log(Object.keys(compiled.contracts).join(', '));
