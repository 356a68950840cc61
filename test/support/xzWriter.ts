/**
 * A minimal `.xz` writer for tests: one block of uncompressed LZMA2 chunks with a CRC-32 check, and a
 * chosen dictionary-size byte (40 declares ~4 GiB, which a decoder must refuse rather than allocate).
 */
import { crc32 } from '../../src/io/crc32.ts';

const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const varint = (n: number) => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  return [...out, n];
};
const pad4 = (bytes: number[]) => [...bytes, ...new Array((4 - (bytes.length % 4)) % 4).fill(0)];
const withCrc = (bytes: number[]) => [...bytes, ...le32(crc32(Uint8Array.from(bytes)))];

/** `payload` as an xz stream whose LZMA2 filter declares dictionary-size byte `dictByte`. */
export function xzFile(payload: Uint8Array, dictByte = 0): Uint8Array {
  const flags = [0x00, 0x01]; // check type CRC-32
  const header = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, ...withCrc(flags)];
  const blockHeader = withCrc(pad4([0x02, 0x00, 0x21, 0x01, dictByte])); // 12 bytes: size byte 12/4 - 1
  const lzma2: number[] = [];
  for (let i = 0; i < payload.length; i += 0x10000) {
    const chunk = payload.subarray(i, i + 0x10000);
    // 0x01: uncompressed chunk resetting the dictionary, 0x02: without reset; size - 1 big-endian.
    lzma2.push(i === 0 ? 0x01 : 0x02, (chunk.length - 1) >> 8, (chunk.length - 1) & 0xff, ...chunk);
  }
  lzma2.push(0x00);
  const unpadded = blockHeader.length + lzma2.length + 4;
  const block = [...blockHeader, ...pad4(lzma2), ...le32(crc32(payload))];
  const index = withCrc(pad4([0x00, ...varint(1), ...varint(unpadded), ...varint(payload.length)]));
  const backward = le32(index.length / 4 - 1);
  const footer = [
    ...le32(crc32(Uint8Array.from([...backward, ...flags]))),
    ...backward,
    ...flags,
    0x59,
    0x5a,
  ];
  return Uint8Array.from([...header, ...block, ...index, ...footer]);
}
