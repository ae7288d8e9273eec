// Photos shrunk on the phone before they are sent. A camera's 12-megapixel
// JPEG of 3-8 MB becomes at most MAX_SIDE pixels on its long side (the server
// keeps no more) and a few hundred kB, so it goes through on a weak signal and
// fits the server's size limit. The camera's EXIF (its GPS position and the
// time taken, which the server keeps as evidence and then strips) is carried
// over, with its orientation set upright, because the pixels are drawn upright.
"use strict";

export const MAX_SIDE = 2048;
const QUALITY = 0.85;
const SMALL_BYTES = 600_000; // smaller than this and within MAX_SIDE: sent as it is

function encoded(canvas, type) {
  return new Promise((done) => canvas.toBlob(done, type, QUALITY));
}

// The smaller of the photo as taken and the photo drawn at most MAX_SIDE.
export async function shrink(file) {
  const type = file.type === "image/png" ? "image/png" : "image/jpeg";
  if (!/^image\/(jpeg|png|webp)$/.test(file.type) || typeof createImageBitmap !== "function") {
    return file; // not something the phone can redraw: the server judges it
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file;
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= SMALL_BYTES) {
    bitmap.close();
    return file;
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const pen = canvas.getContext("2d");
  pen.imageSmoothingQuality = "high";
  pen.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  let blob = await encoded(canvas, type);
  if (!blob || blob.size >= file.size) return file;
  if (file.type === "image/jpeg" && type === "image/jpeg") blob = await withExif(blob, file);
  return blob;
}

// The JPEG's EXIF segment (APP1 "Exif\0\0"), or null; read from its first 128 kB.
async function exifSegment(file) {
  const bytes = new Uint8Array(await file.slice(0, 131_072).arrayBuffer());
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (marker === 0xda || length < 2) return null; // the pixels start: no EXIF before them
    const end = at + 2 + length;
    if (end > bytes.length) return null;
    const exif = marker === 0xe1 && String.fromCharCode(...bytes.slice(at + 4, at + 8)) === "Exif";
    if (exif) return bytes.slice(at, end);
    at = end;
  }
  return null;
}

// Set the EXIF orientation (tag 0x0112 of IFD0) to 1, upright, in place.
function upright(segment) {
  const tiff = 10; // FF E1, length (2), "Exif\0\0" (6)
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  if (segment.length < tiff + 8) return;
  const little = view.getUint16(tiff) === 0x4949;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > segment.length) return;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > segment.length) return;
    if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
  }
}

async function withExif(blob, original) {
  const segment = await exifSegment(original);
  if (!segment) return blob;
  upright(segment);
  const drawn = new Uint8Array(await blob.arrayBuffer());
  // SOI, the camera's EXIF, then the drawn JPEG after its own SOI.
  return new Blob([drawn.slice(0, 2), segment, drawn.slice(2)], { type: "image/jpeg" });
}
