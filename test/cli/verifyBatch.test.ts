// `signet verify --batch` at scale (issue 13): the input is streamed (memory stays flat however
// long it is), keys are cached by their text, `--jobs N` verifies on worker threads and keeps
// the output in input order; the library's createVerifier()/verifyBatch() share the key cache.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { readLineBatches } from '../../src/cli/batch/readLineBatches.js';
import { createVerifier, verifyBatch, MAX_BATCH_LINE } from '../../src/core/verifier.js';
import { runCliCaptured } from '../support/cli.js';
import { tempDir } from '../support/harness.js';

const SECRET = 'EhjGcsUUuRSJTHiYPbW5fxzyaKEx0JuAZIKRQ4HnIfNFidB2kMg6locQbTIEz3Vf';
const CLIENT = 'RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W';

function tiniappLine(body: string, secret = SECRET): string {
  const message = `1620621619569.${CLIENT}.${body}`;
  const signature = createHmac('sha256', secret)
    .update(Buffer.from(message).toString('base64url'))
    .digest('hex');
  return JSON.stringify({ scheme: 'tiniapp', secret: SECRET, message, signature });
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
function rsaLine(message: string, signed = message): string {
  return JSON.stringify({
    scheme: 'device',
    publicKey: rsaPem,
    message,
    signature: nodeSign('sha256', Buffer.from(signed), rsa.privateKey).toString('base64'),
  });
}

const cli = (args: string[], stdin = '') => runCliCaptured(args, {}, stdin);

describe('readLineBatches', () => {
  async function collect(chunks: (string | Uint8Array)[], max: number) {
    const out: (string | null)[] = [];
    for await (const lines of readLineBatches(chunks, max)) out.push(...lines);
    return out;
  }

  test('lines split across chunks, a UTF-8 character split between chunks, a last line without newline', async () => {
    const euro = Buffer.from('€', 'utf8'); // 3 bytes
    const chunks = [
      Buffer.from('ab'),
      Buffer.concat([Buffer.from('c\nd'), euro.subarray(0, 1)]),
      Buffer.concat([euro.subarray(1), Buffer.from('\n\nlast')]),
    ];
    assert.deepEqual(await collect(chunks, 100), ['abc', 'd€', '', 'last']);
  });

  test('a line over the limit comes out as null and the next line is read whole', async () => {
    const long = 'x'.repeat(25);
    // The long line arrives in pieces, so the reader must drop what it kept and skip to the newline.
    const out = await collect(['ok1\n', long.slice(0, 10), long.slice(10), '\nok2\n', 'y'.repeat(30)], 20);
    assert.deepEqual(out, ['ok1', null, 'ok2', null]);
    assert.deepEqual(await collect(['exactly-twenty-bytes\n'], 20), ['exactly-twenty-bytes']);
    // The over-long line ends in a chunk of its own; then one inside a single chunk.
    assert.deepEqual(await collect(['x'.repeat(15), 'x'.repeat(10), '\n', 'ok\n'], 20), [null, 'ok']);
    assert.deepEqual(await collect([`ok\n${'z'.repeat(25)}\nok2\n`], 20), ['ok', null, 'ok2']);
  });
});

describe('createVerifier and verifyBatch (library)', () => {
  test('parsed keys are cached by their text, bounded, and never cached when they do not parse', () => {
    const verifier = createVerifier({ cacheSize: 2 });
    assert.deepEqual(verifier.verifyLine(rsaLine('a')), { valid: true });
    assert.deepEqual(verifier.verifyLine(rsaLine('b')), { valid: true });
    assert.deepEqual(verifier.verifyLine(rsaLine('c', 'other')), { valid: false, code: 'signature_invalid' });
    assert.equal(verifier.cachedKeys, 1, 'one key text, parsed once');
    const eos = PrivateKey.generate('K1');
    const eosLine = {
      scheme: 'eos',
      publicKey: eos.toPublic().toString(),
      message: 'm',
      signature: eos.signMessage(Bytes.from('m', 'utf8')).toString(),
    };
    assert.deepEqual(verifier.verify(eosLine), { valid: true });
    assert.equal(verifier.cachedKeys, 2);
    // The EOS key's text on a device line is not the EOS key: entries are per scheme.
    assert.deepEqual(verifier.verify({ ...eosLine, scheme: 'device', signature: 'AAAA' }), {
      valid: false,
      code: 'invalid_request',
    });
    const wallet = Wallet.createRandom();
    const ethLine = {
      scheme: 'eth',
      address: wallet.address,
      message: 'm',
      signature: wallet.signMessageSync('m'),
    };
    assert.deepEqual(verifier.verify(ethLine), { valid: true });
    assert.equal(verifier.cachedKeys, 2, 'the least recently used key left');
    assert.deepEqual(
      verifier.verifyLine(
        JSON.stringify({ scheme: 'device', publicKey: 'nope', message: 'm', signature: 'AAAA' }),
      ),
      {
        valid: false,
        code: 'invalid_request',
      },
    );
    assert.equal(verifier.cachedKeys, 2, 'a key that does not parse takes no entry');
    assert.deepEqual(createVerifier({ cacheSize: 0 }).verifyLine(rsaLine('z')), { valid: true });
    assert.throws(() => createVerifier({ cacheSize: -1 }), RangeError);
  });

  test('verifyBatch yields one result per non-blank line, in order, from an async source', async () => {
    async function* source() {
      yield rsaLine('one');
      yield '   ';
      yield `${tiniappLine('{"id":1}')}\r`;
      yield '{broken';
      yield 'x'.repeat(MAX_BATCH_LINE + 1);
      yield rsaLine('two', 'three');
    }
    const results = [];
    for await (const r of verifyBatch(source())) results.push(r);
    assert.deepEqual(results, [
      { valid: true },
      { valid: true },
      { valid: false, code: 'invalid_request' },
      { valid: false, code: 'invalid_request' },
      { valid: false, code: 'signature_invalid' },
    ]);
  });
});

describe('signet verify --batch --jobs', () => {
  test('--jobs 3 prints exactly what --jobs 1 prints, in input order', async () => {
    const dir = tempDir();
    try {
      const lines: string[] = [];
      const expected: string[] = [];
      // Enough lines for many chunks of the file stream (256 KiB each) to go to different workers.
      for (let i = 0; i < 3000; i++) {
        const kind = i % 7;
        if (kind === 0) {
          lines.push(rsaLine(`m${i}`));
          expected.push('{"valid":true}');
        } else if (kind === 1) {
          lines.push(rsaLine(`m${i}`, 'not it'));
          expected.push('{"valid":false,"code":"signature_invalid"}');
        } else if (kind === 2) {
          lines.push('{"scheme":"webauthn"}');
          expected.push('{"valid":false,"code":"invalid_request"}');
        } else if (kind === 3) {
          lines.push(''); // skipped, no output
        } else {
          lines.push(tiniappLine(`{"id":${i},"pad":"${'p'.repeat(i % 500)}"}`, i % 2 ? SECRET : 'wrong'));
          expected.push(i % 2 ? '{"valid":true}' : '{"valid":false,"code":"signature_invalid"}');
        }
      }
      const file = join(dir.dir, 'mixed.jsonl');
      writeFileSync(file, lines.join('\r\n'));
      const one = await cli(['verify', '--batch', file]);
      const three = await cli(['verify', '--batch', file, '--jobs', '3']);
      assert.equal(one.code, 1);
      assert.equal(three.code, 1);
      assert.deepEqual(one.stdout.split('\n'), expected);
      assert.equal(three.stdout, one.stdout);
      const valid = expected.filter((l) => l === '{"valid":true}').length;
      assert.match(three.stderr, new RegExp(`^${valid} of ${expected.length} valid$`));
    } finally {
      dir.remove();
    }
  });

  test('--jobs must be a whole number 1-64 (usage error, exit 2); a missing file is a clean error', async () => {
    for (const bad of ['0', '65', 'two', '1.5', '=-1']) {
      const r = await cli(['verify', '--batch', '-', `--jobs${bad.startsWith('=') ? '' : '='}${bad}`]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--jobs is a whole number 1-64/);
    }
    for (const jobs of ['1', '2']) {
      const r = await cli(['verify', '--batch', '/nonexistent/signet-batch.jsonl', '--jobs', jobs]);
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.stderr, /unexpected error/);
      assert.match(r.stderr, /file_error: \/nonexistent\/signet-batch\.jsonl: no such file/);
    }
  });
});

describe('signet verify --batch streams its input', () => {
  /**
   * Pipes `megabytes` of Tiniapp lines (4 KiB bodies) into a real `signet verify --batch -`
   * process, counting its output lines; returns the child's peak RSS.
   */
  async function run(
    megabytes: number,
    jobs: string,
  ): Promise<{ maxRss: number; lines: number; sent: number }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./batchMemoryChild.ts', import.meta.url).pathname, '--jobs', jobs],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let lines = 0;
    child.stdout.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = Buffer.from(`${tiniappLine(`{"data":"${'d'.repeat(4096)}"}`)}\n`);
    const block = Buffer.concat(Array.from({ length: 64 }, () => line));
    let sent = 0;
    for (let bytes = 0; bytes < megabytes * 2 ** 20; bytes += block.length) {
      sent += 64;
      if (!child.stdin.write(block)) await new Promise((r) => child.stdin.once('drain', r));
    }
    child.stdin.end();
    const code = await exited;
    assert.equal(code, 0, stderr);
    const match = /maxRss=(\d+)/.exec(stderr);
    assert.ok(match, stderr);
    return { maxRss: Number(match[1]), lines, sent };
  }

  test('a reader that goes away (`| head`) stops the verb quietly: exit 141, no stack trace', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./batchMemoryChild.ts', import.meta.url).pathname],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.on('error', () => {}); // the child may be gone before all is written
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const block = `${tiniappLine('{"id":1}')}\n`.repeat(2000);
    let gone = false;
    void exited.then(() => (gone = true));
    for (let i = 0; i < 200 && !gone && !child.stdin.destroyed; i++) {
      if (!child.stdin.write(block)) {
        await Promise.race([new Promise((r) => child.stdin.once('drain', r)), exited]);
      }
    }
    child.stdin.end();
    assert.equal(await exited, 141, stderr);
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  });

  test('peak memory does not grow with the input (16 MiB against 256 MiB, --jobs 1 and 2)', async (t) => {
    for (const jobs of ['1', '2']) {
      const small = await run(16, jobs);
      const large = await run(256, jobs);
      assert.equal(small.lines, small.sent);
      assert.equal(large.lines, large.sent);
      // Reading the input whole would hold the 256 MiB at least twice (bytes and string); a
      // streaming reader grows by what the GC has not yet collected (tens of MiB at most).
      const growth = large.maxRss - small.maxRss;
      const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
      t.diagnostic(
        `--jobs ${jobs}: peak RSS ${mib(small.maxRss)} for 16 MiB in, ${mib(large.maxRss)} for 256 MiB in`,
      );
      assert.ok(
        growth < 128 * 2 ** 20,
        `--jobs ${jobs}: peak RSS grew by ${Math.round(growth / 2 ** 20)} MiB`,
      );
    }
  });
});
