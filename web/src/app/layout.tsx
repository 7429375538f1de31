import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { loadPublicConfig } from "@/lib/server-config.ts";
import { Providers } from "./providers.tsx";
import { Header } from "@/components/header.tsx";
import "./globals.css";

export const metadata: Metadata = {
  title: "Meridian: your medical records, your keys",
  description:
    "Patient-controlled medical records on Ethereum: FHIR R4, encrypted in your browser, shared with your wallet.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

// The deployment is read at request time, so the same build serves any chain.
export const dynamic = "force-dynamic";

export default async function RootLayout({ children }: { children: ReactNode }) {
  const config = await loadPublicConfig();
  return (
    <html lang="en">
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        {config ? (
          <Providers config={config}>
            <Header />
            <main id="main">{children}</main>
          </Providers>
        ) : (
          <main id="main">
            <h1>No Meridian deployment found</h1>
            <p>
              Start the local stack with <code>./run stack</code>, or deploy with{" "}
              <code>npm run meridian -- deploy</code> and set <code>MERIDIAN_DEPLOYMENT</code> to the file it writes.
            </p>
          </main>
        )}
      </body>
    </html>
  );
}
