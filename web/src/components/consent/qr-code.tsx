"use client";

import { useMemo } from "react";
import QRCode from "qrcode";

/**
 * A QR code of `text` drawn as one SVG path (no canvas, no markup strings). A consent code's
 * text is all in QR's alphanumeric set, so `qrcode` encodes it compactly; error correction M.
 */
export function QrCode({ text, label, size = 256 }: { text: string; label: string; size?: number }) {
  const { path, modules } = useMemo(() => {
    const { modules: m } = QRCode.create(text, { errorCorrectionLevel: "M" });
    let d = "";
    for (let row = 0; row < m.size; row++) {
      for (let col = 0; col < m.size; col++) if (m.get(row, col)) d += `M${col + 4} ${row + 4}h1v1h-1z`;
    }
    return { path: d, modules: m.size };
  }, [text]);
  const view = modules + 8; // 4-module quiet zone on each side
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${view} ${view}`}
      shapeRendering="crispEdges"
      data-testid="consent-qr"
    >
      <rect width={view} height={view} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
