"use client";

import Link from "next/link";
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import { useMeridian, describeError } from "@/lib/meridian.tsx";
import { TransactionPanel } from "./transaction-panel.tsx";

/** Shortens an address for display: 0x1234…abcd. */
export function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** Top bar: navigation, wallet connection (EIP-6963 wallets, MetaMask first) and network check. */
export function Header() {
  const { config, address, onRightChain } = useMeridian();
  const { status } = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  const switchChain = useSwitchChain();
  const wallets = [...connectors].sort((a, b) => rank(a) - rank(b));

  return (
    <header className="header">
      <div className="header-inner">
        <Link href="/" className="brand">
          Meridian
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/patient">Patient</Link>
            </li>
            <li>
              <Link href="/guardian">Guardian</Link>
            </li>
            <li>
              <Link href="/provider">Provider</Link>
            </li>
            <li>
              <Link href="/monitoring">Monitoring</Link>
            </li>
            <li>
              <Link href="/validation">Validation</Link>
            </li>
            <li>
              <Link href="/regulator">Regulator</Link>
            </li>
            <li>
              <Link href="/metrics">Network metrics</Link>
            </li>
          </ul>
        </nav>
        <div className="row" aria-live="polite">
          {address ? (
            <>
              <span className="mono" data-testid="account" title={address}>
                {short(address)}
              </span>
              {onRightChain ? (
                <span className="ok">{config.chainName}</span>
              ) : (
                <button
                  type="button"
                  onClick={() => switchChain.mutate({ chainId: config.chainId })}
                  disabled={switchChain.isPending}
                >
                  Wrong network: switch to {config.chainName}
                </button>
              )}
              <button type="button" className="secondary" onClick={() => disconnect.mutate()}>
                Disconnect
              </button>
            </>
          ) : wallets.length === 0 ? (
            <span className="muted">No wallet found: install MetaMask or another browser wallet.</span>
          ) : (
            wallets.slice(0, 3).map((connector) => (
              <button
                key={connector.uid}
                type="button"
                disabled={status === "connecting"}
                onClick={() => connect.mutate({ connector, chainId: config.chainId })}
              >
                Connect {connector.name === "Injected" ? "wallet" : connector.name}
              </button>
            ))
          )}
        </div>
        {connect.error ? (
          <p className="alert" role="alert">
            {describeError(connect.error).message}
          </p>
        ) : null}
      </div>
      <TransactionPanel />
    </header>
  );
}

function rank(connector: { id: string; name: string }): number {
  if (/metamask/i.test(connector.id) || /metamask/i.test(connector.name)) return 0;
  if (connector.id === "injected") return 2;
  return 1;
}
