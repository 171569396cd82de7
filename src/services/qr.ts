/** QR images (inline PNG data URLs) of the server-rendered pages and documents. */
import QRCode from 'qrcode';

/** QR options used for every image (the tests render the same payload with them to compare). */
export const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2, width: 280 } as const;

export function qrDataUrl(payload: string): Promise<string> {
  return QRCode.toDataURL(payload, { ...QR_OPTIONS, type: 'image/png' });
}
