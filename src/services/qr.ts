/** QR images (inline PNG data URLs) of the server-rendered pages and documents. */
import QRCode from 'qrcode';

/** QR options used for every page (the tests render the same payload with them to compare). */
export const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2, width: 280 } as const;

/**
 * The QR printed on a PDF (a few cm wide): smaller, and PNG row filter 0 — pngjs's default tries all five
 * filters per row, which made the QR ~7× slower than the rest of the certificate's layout.
 */
export const DOCUMENT_QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2, width: 200, rendererOpts: { filterType: 0 } } as const;

export function qrDataUrl(payload: string, options: typeof QR_OPTIONS | typeof DOCUMENT_QR_OPTIONS = QR_OPTIONS): Promise<string> {
  return QRCode.toDataURL(payload, { ...options, type: 'image/png' } as QRCode.QRCodeToDataURLOptions);
}
