/**
 * The node's IPFS side: Helia 7 with libp2p (TCP, Noise, Yamux, identify) and bitswap, no
 * routers, no DHT, no bootstrap, no peer discovery (peers are dialled by the multiaddrs a pin
 * request names), blocks on disk in the layout of `createHeliaStore` (`@meridian/sdk/storage`):
 * `<dataDir>/ipfs/blocks` (blockstore-fs, next-to-last sharding) and `<dataDir>/ipfs/datastore`
 * (datastore-fs: pins, the libp2p key, pin requests). Every write to either is a temporary file
 * renamed into place, so a node killed mid-write leaves no torn block or record.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { withBitswap } from "@helia/bitswap";
import { withLibp2pLight } from "@helia/libp2p";
import { identify } from "@libp2p/identify";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { multiaddr } from "@multiformats/multiaddr";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import type { CID } from "multiformats/cid";

/** A started Helia node with libp2p and what the node reads directly. */
export interface IpfsNode {
  helia: Helia;
  /** The node's libp2p peer id, base58btc. */
  peerId: string;
  /** Listen addresses with `/p2p/<peerId>`. */
  multiaddrs: () => string[];
  /** Reads a block from this node's disk only (never the network); undefined when it is not held. */
  readLocalBlock: (cid: CID) => Promise<Uint8Array | undefined>;
  /**
   * Deletes a block from disk (the blockstore-fs file; Helia's own `delete` also cancels
   * re-providing, which fails without content routers). The caller checks it is not pinned.
   */
  deleteLocalBlock: (cid: CID) => Promise<void>;
  /** Dials `addresses` (multiaddrs with `/p2p/…`), each within `timeoutMs`; returns the errors of those that failed. */
  dial: (addresses: readonly string[], timeoutMs: number) => Promise<string[]>;
  stop: () => Promise<void>;
}

/**
 * Starts Helia on `<dataDir>/ipfs` listening on `listen` (libp2p multiaddrs). The peer id is
 * kept in the datastore, so it survives restarts.
 */
export async function startIpfsNode(dataDir: string, listen: readonly string[]): Promise<IpfsNode> {
  const directory = join(dataDir, "ipfs");
  const blocksDirectory = join(directory, "blocks");
  const sharding = new NextToLast();
  const blockstore = new FsBlockstore(blocksDirectory, { shardingStrategy: sharding });
  const light = createHeliaLight({
    blockstore,
    datastore: new FsDatastore(join(directory, "datastore")),
    routers: [],
  });
  const helia = withBitswap(
    withLibp2pLight(light, {
      addresses: { listen: [...listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() },
    }),
  );
  await helia.start();
  const peerId = helia.libp2p.peerId.toString();
  return {
    helia,
    peerId,
    multiaddrs: () =>
      helia.libp2p.getMultiaddrs().map((address) => {
        const text = address.toString();
        return text.includes("/p2p/") ? text : `${text}/p2p/${peerId}`;
      }),
    readLocalBlock: async (cid) => {
      const { dir, file } = sharding.encode(cid);
      try {
        const bytes = await readFile(join(blocksDirectory, dir, file));
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    deleteLocalBlock: async (cid) => {
      await blockstore.delete(cid);
    },
    dial: async (addresses, timeoutMs) => {
      const failures: string[] = [];
      await Promise.all(
        addresses.map(async (address) => {
          try {
            await helia.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(timeoutMs) });
          } catch (error) {
            failures.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }),
      );
      return failures;
    },
    stop: async () => {
      await helia.stop();
    },
  };
}
