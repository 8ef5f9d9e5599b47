// An in-process Ethereum node for contract-wallet tests: @ethereumjs/evm (the EVM of the
// ethereumjs client) with the smart-account contracts of test/vectors/eth/contracts deployed,
// behind a minimal JSON-RPC server on 127.0.0.1 that answers `eth_call` as a node does
// (latest state, nothing persisted; a revert is JSON-RPC error 3 "execution reverted").
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEVM, type EVM } from '@ethereumjs/evm';
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util';
import { AbiCoder, Interface, getBytes } from 'ethers';

const compiled = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'vectors', 'eth', 'contracts', 'compiled.json'), 'utf8'),
) as { compiler: string; contracts: Record<string, string> };

/** Creation code of each contract, 0x hex (built by test/vectors/eth/contracts/build.mjs). */
export const CONTRACTS = compiled.contracts;

const factoryAbi = new Interface([
  'function deploy(address owner, bytes32 salt) returns (address)',
  'function addressOf(address owner, bytes32 salt) view returns (address)',
]);
const accountAbi = new Interface(['function owner() view returns (address)']);

const DEPLOYER = new Address(hexToBytes('0x00000000000000000000000000000000000d0e11'));
const GAS = 30_000_000n;

export interface EvmNode {
  /** The JSON-RPC URL (`http://127.0.0.1:PORT`). */
  url: string;
  evm: EVM;
  /** The SmartAccountFactory's address. */
  factory: string;
  /** Deploys a SmartAccount owned by `owner` (lowercase address returned). */
  deployAccount(owner: string, salt: string): Promise<string>;
  /** The address a SmartAccount for `owner` and `salt` will have (CREATE2), without deploying it. */
  counterfactualAddress(owner: string, salt: string): Promise<string>;
  /** Wraps `signature` for an undeployed wallet (EIP-6492): factory, deploy calldata, signature, suffix. */
  wrap6492(owner: string, salt: string, signature: string): string;
  /** Calls a contract read-only (nothing persisted); the return data, or throws on revert. */
  call(to: string | undefined, data: string): Promise<string>;
  /** eth_call requests seen. */
  calls: number;
  close(): Promise<void>;
}

async function run(evm: EVM, to: string | undefined, data: string, persist: boolean) {
  const sm = evm.stateManager;
  await sm.checkpoint();
  try {
    const result = await evm.runCall({
      caller: DEPLOYER,
      ...(to === undefined ? {} : { to: new Address(hexToBytes(to as `0x${string}`)) }),
      data: hexToBytes(data as `0x${string}`),
      gasLimit: GAS,
      skipBalance: true,
    });
    if (persist && result.execResult.exceptionError === undefined) await sm.commit();
    else await sm.revert();
    return result;
  } catch (e) {
    await sm.revert();
    throw e;
  }
}

/** Starts the node: a fresh EVM with the factory deployed, and its JSON-RPC server. */
export async function startEvmNode(): Promise<EvmNode> {
  const evm = await createEVM();
  const created = await run(evm, undefined, CONTRACTS['SmartAccountFactory']!, true);
  if (created.execResult.exceptionError || !created.createdAddress) throw new Error('factory deploy failed');
  const factory = created.createdAddress.toString();

  const call = async (to: string | undefined, data: string) => {
    const r = await run(evm, to, data, false);
    if (r.execResult.exceptionError) throw new Error(`reverted: ${r.execResult.exceptionError.error}`);
    return bytesToHex(r.execResult.returnValue);
  };

  const node: EvmNode = {
    url: '',
    evm,
    factory,
    calls: 0,
    async deployAccount(owner, salt) {
      const r = await run(evm, factory, factoryAbi.encodeFunctionData('deploy', [owner, salt]), true);
      if (r.execResult.exceptionError) throw new Error('account deploy failed');
      const [address] = factoryAbi.decodeFunctionResult('deploy', r.execResult.returnValue);
      const [read] = accountAbi.decodeFunctionResult(
        'owner',
        getBytes(await call(address, accountAbi.encodeFunctionData('owner'))),
      );
      if (String(read).toLowerCase() !== owner.toLowerCase())
        throw new Error('deployed account has another owner');
      return String(address).toLowerCase();
    },
    async counterfactualAddress(owner, salt) {
      const out = await call(factory, factoryAbi.encodeFunctionData('addressOf', [owner, salt]));
      return String(factoryAbi.decodeFunctionResult('addressOf', out)[0]).toLowerCase();
    },
    wrap6492(owner, salt, signature) {
      const encoded = AbiCoder.defaultAbiCoder().encode(
        ['address', 'bytes', 'bytes'],
        [factory, factoryAbi.encodeFunctionData('deploy', [owner, salt]), signature],
      );
      return encoded + '6492'.repeat(16);
    },
    call,
    close: async () => {},
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      void (async () => {
        const reply = (o: unknown) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(o));
        };
        let q: { id?: unknown; method?: unknown; params?: unknown };
        try {
          q = JSON.parse(body);
        } catch {
          return reply({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
        }
        if (q.method !== 'eth_call' || !Array.isArray(q.params)) {
          return reply({
            jsonrpc: '2.0',
            id: q.id ?? null,
            error: { code: -32601, message: 'method not found' },
          });
        }
        node.calls++;
        const tx = q.params[0] as { to?: string; data?: string };
        const r = await run(evm, tx.to, tx.data ?? '0x', false);
        if (r.execResult.exceptionError) {
          return reply({
            jsonrpc: '2.0',
            id: q.id ?? null,
            error: { code: 3, message: 'execution reverted', data: bytesToHex(r.execResult.returnValue) },
          });
        }
        reply({ jsonrpc: '2.0', id: q.id ?? null, result: bytesToHex(r.execResult.returnValue) });
      })().catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('rpc did not bind');
  node.url = `http://127.0.0.1:${address.port}`;
  node.close = () => new Promise<void>((r) => server.close(() => r()));
  return node;
}
