// Example activities of the media pipeline (pipeline.yaml): probe a file by its bytes, then
// either segment a video or make a thumbnail of an image, and publish a manifest of what ran.
// Plain CommonJS with Node built-ins only, as any module given to `tapflow worker --activities`
// may be. Each function takes the calling convention's one argument { input, params, upstream,
// node } and returns the node's output.
//
// Files are written under `<out>/<runId>/`, where `out` is the run's `params.out` or, without
// one, `<os temp dir>/tapflow-examples/media`: a retried node overwrites its own files.
'use strict';
const { createHash } = require('node:crypto');
const { existsSync } = require('node:fs');
const { mkdir, readFile, rename, writeFile } = require('node:fs/promises');
const { tmpdir } = require('node:os');
const { basename, isAbsolute, join, resolve } = require('node:path');
const { deflateSync, inflateSync } = require('node:zlib');

/** Writes a file atomically (temp file then rename), so a crash never leaves half a file. */
async function writeAtomic(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * A file given by the run: an absolute path, a path from the working directory, or, when no
 * such file is there, from the tapflow package, where this example's files ship.
 */
function sourcePath(path) {
  if (typeof path !== 'string' || path === '') throw new TypeError('no file path given (params.path)');
  const here = resolve(path);
  return existsSync(here) || isAbsolute(path) ? here : resolve(__dirname, '..', '..', path);
}

/** The run's own output folder, made if need be. */
async function runDir(params, node, ...sub) {
  const root = params && typeof params.out === 'string' ? resolve(params.out) : join(tmpdir(), 'tapflow-examples', 'media');
  const dir = join(root, node.runId, ...sub);
  await mkdir(dir, { recursive: true });
  return dir;
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

// --- probing -------------------------------------------------------------------------------

/** The ISO-BMFF boxes (MP4, MOV) of `buf` between `start` and `end`: { type, start, end, body }. */
function boxes(buf, start = 0, end = buf.length) {
  const out = [];
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) size = end - at;
    if (size < body - at || at + size > end) break; // a truncated box: stop, keep what was read
    out.push({ type, start: at, end: at + size, body });
    at += size;
  }
  return out;
}

/** The first box of `type` along `path` (e.g. ['moov', 'trak']) inside `parent`. */
function find(buf, parent, path) {
  let here = parent;
  for (const type of path) {
    here = boxes(buf, here.body, here.end).find((b) => b.type === type);
    if (!here) return undefined;
  }
  return here;
}

/** What an MP4 says of itself: brand, duration, and its tracks' handlers and codecs. */
function probeMp4(buf) {
  const file = { body: 0, end: buf.length };
  const ftyp = find(buf, file, ['ftyp']);
  const moov = find(buf, file, ['moov']);
  const info = { container: 'mp4', brand: ftyp ? buf.toString('latin1', ftyp.body, ftyp.body + 4) : undefined, tracks: [] };
  if (!moov) return { ...info, kind: 'unknown' };
  const mvhd = find(buf, moov, ['mvhd']);
  if (mvhd) {
    const v1 = buf[mvhd.body] === 1;
    const timescale = buf.readUInt32BE(mvhd.body + (v1 ? 20 : 12));
    const duration = v1 ? Number(buf.readBigUInt64BE(mvhd.body + 24)) : buf.readUInt32BE(mvhd.body + 16);
    info.durationMs = timescale ? Math.round((duration * 1000) / timescale) : undefined;
  }
  for (const trak of boxes(buf, moov.body, moov.end).filter((b) => b.type === 'trak')) {
    const hdlr = find(buf, trak, ['mdia', 'hdlr']);
    const stsd = find(buf, trak, ['mdia', 'minf', 'stbl', 'stsd']);
    const track = { handler: hdlr ? buf.toString('latin1', hdlr.body + 8, hdlr.body + 12) : undefined };
    // stsd: version/flags (4), entry count (4), then sample entries, each a box named by its codec.
    const entry = stsd ? boxes(buf, stsd.body + 8, stsd.end)[0] : undefined;
    if (entry) {
      track.fourcc = entry.type;
      if (track.handler === 'vide') {
        // A visual sample entry: 6 reserved, 2 data ref, 16 pre-defined/reserved, then width, height.
        track.width = buf.readUInt16BE(entry.body + 24);
        track.height = buf.readUInt16BE(entry.body + 26);
        const avcC = boxes(buf, entry.body + 78, entry.end).find((b) => b.type === 'avcC');
        if (avcC) {
          const hex = (i) => buf[avcC.body + i].toString(16).padStart(2, '0').toUpperCase();
          track.codecString = `${entry.type}.${hex(1)}${hex(2)}${hex(3)}`;
        }
      }
    }
    info.tracks.push(track);
  }
  const video = info.tracks.find((t) => t.handler === 'vide');
  const audio = info.tracks.find((t) => t.handler === 'soun');
  const CODECS = { avc1: 'h264', avc3: 'h264', hvc1: 'h265', hev1: 'h265', av01: 'av1', vp09: 'vp9', mp4a: 'aac' };
  const main = video ?? audio;
  return {
    ...info,
    kind: video ? 'video' : audio ? 'audio' : 'unknown',
    codec: main ? (CODECS[main.fourcc] ?? main.fourcc) : undefined,
    ...(video ? { width: video.width, height: video.height } : {}),
  };
}

/** A WAV file's format chunk. */
function probeWav(buf) {
  const fmt = boxesRiff(buf).find((c) => c.id === 'fmt ');
  const data = boxesRiff(buf).find((c) => c.id === 'data');
  if (!fmt) return { kind: 'audio', container: 'wav' };
  const format = buf.readUInt16LE(fmt.body);
  const channels = buf.readUInt16LE(fmt.body + 2);
  const sampleRate = buf.readUInt32LE(fmt.body + 4);
  const byteRate = buf.readUInt32LE(fmt.body + 8);
  const bits = buf.readUInt16LE(fmt.body + 14);
  const codec = format === 1 ? (bits === 8 ? 'pcm_u8' : `pcm_s${bits}le`) : `wav-format-${format}`;
  const durationMs = data && byteRate ? Math.round((data.size * 1000) / byteRate) : undefined;
  return { kind: 'audio', container: 'wav', codec, channels, sampleRate, durationMs };
}

/** The chunks of a RIFF file after its 12-byte header. */
function boxesRiff(buf) {
  const out = [];
  for (let at = 12; at + 8 <= buf.length; ) {
    const size = buf.readUInt32LE(at + 4);
    out.push({ id: buf.toString('latin1', at, at + 4), body: at + 8, size });
    at += 8 + size + (size % 2);
  }
  return out;
}

/** A PNG's IHDR: width, height, bit depth, colour type, interlace. */
function pngHeader(buf) {
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG: no IHDR chunk first');
  return {
    width: buf.readUInt32BE(16),
    height: buf.readUInt32BE(20),
    bitDepth: buf[24],
    colorType: buf[25],
    interlace: buf[28],
  };
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Tells what a file is by its magic bytes (not its name), and reads what its header says.
 * @returns {{ path: string, bytes: number, sha256: string, kind: 'video'|'audio'|'image'|'unknown',
 *   codec?: string, container?: string, width?: number, height?: number, durationMs?: number }}
 */
async function probeFile({ input = {}, params = {} }) {
  const path = sourcePath(input.path ?? params.path);
  const buf = await readFile(path);
  const base = { path, bytes: buf.length, sha256: sha256(buf) };
  if (buf.subarray(0, 8).equals(PNG_MAGIC)) {
    const { width, height, bitDepth, colorType } = pngHeader(buf);
    return { ...base, kind: 'image', container: 'png', codec: 'png', width, height, bitDepth, colorType };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return { ...base, kind: 'image', container: 'jpeg', codec: 'jpeg' };
  if (buf.toString('latin1', 0, 4) === 'GIF8') {
    return { ...base, kind: 'image', container: 'gif', codec: 'gif', width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
  }
  if (buf.toString('latin1', 4, 8) === 'ftyp') return { ...base, ...probeMp4(buf) };
  if (buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WAVE') return { ...base, ...probeWav(buf) };
  return { ...base, kind: 'unknown' };
}

// --- the video branch ----------------------------------------------------------------------

/**
 * "Transcodes" a video for streaming the simple way: cuts the file into segments of
 * `input.segmentBytes` (default 1024) bytes under `<out>/<runId>/video/`, each with its SHA-256,
 * and writes a playlist listing them in order. Joined back, the segments are the file again.
 * @returns {{ label: string, codec: string, dir: string, playlist: string, bytes: number,
 *   sha256: string, segments: Array<{ file: string, bytes: number, sha256: string }> }}
 */
async function transcode({ input = {}, params, node, report }) {
  const src = sourcePath(input.src);
  const size = Number(input.segmentBytes ?? 1024);
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`segmentBytes must be a positive integer, not ${input.segmentBytes}`);
  const buf = await readFile(src);
  const dir = await runDir(params, node, 'video');
  const segments = [];
  for (let at = 0, i = 0; at < buf.length; at += size, i++) {
    const part = buf.subarray(at, at + size);
    const file = join(dir, `segment-${String(i).padStart(3, '0')}.bin`);
    await writeAtomic(file, part);
    segments.push({ file, bytes: part.length, sha256: sha256(part) });
  }
  const playlist = join(dir, 'playlist.txt');
  const lines = [
    `# ${input.label ?? basename(src)}: ${input.codec ?? 'unknown codec'}, ${segments.length} segments of at most ${size} bytes`,
    ...segments.map((s) => `${basename(s.file)} ${s.bytes} sha256:${s.sha256}`),
    '',
  ];
  await writeAtomic(playlist, lines.join('\n'));
  report?.({ products: [playlist] });
  return { label: input.label, codec: input.codec, dir, playlist, bytes: buf.length, sha256: sha256(buf), segments };
}

// --- the image branch ----------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The chunks of a PNG after its signature: { type, data }. */
function pngChunks(buf) {
  const out = [];
  for (let at = 8; at + 12 <= buf.length; ) {
    const len = buf.readUInt32BE(at);
    out.push({ type: buf.toString('latin1', at + 4, at + 8), data: buf.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  return out;
}

/** The pixels of an 8-bit, non-interlaced RGB or RGBA PNG: rows of `channels` bytes per pixel. */
function decodePng(buf) {
  const head = pngHeader(buf);
  const channels = { 2: 3, 6: 4 }[head.colorType];
  if (head.bitDepth !== 8 || !channels || head.interlace !== 0) return { ...head, pixels: undefined };
  const raw = inflateSync(Buffer.concat(pngChunks(buf).filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = head.width * channels;
  const pixels = Buffer.alloc(stride * head.height);
  for (let y = 0; y < head.height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      let value = line[i];
      if (filter === 1) value += a;
      else if (filter === 2) value += b;
      else if (filter === 3) value += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        value += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      pixels[y * stride + i] = value & 0xff;
    }
  }
  return { ...head, channels, pixels };
}

/** An 8-bit RGB(A) PNG of `pixels`. */
function encodePng(width, height, channels, pixels) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, channels === 4 ? 6 : 2, 0, 0, 0], 8);
  const stride = width * channels;
  const rows = [];
  for (let y = 0; y < height; y++) rows.push(Buffer.from([0]), pixels.subarray(y * stride, (y + 1) * stride));
  return Buffer.concat([PNG_MAGIC, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Makes a thumbnail of a PNG: reads its size from the IHDR chunk, scales it down (box average)
 * to fit `input.max` pixels (default 16) a side, and writes `thumb.png` and a JSON sidecar
 * under `<out>/<runId>/image/`. A PNG this decoder does not handle (not 8-bit RGB/RGBA, or
 * interlaced) gets the sidecar alone.
 * @returns {{ width: number, height: number, thumb?: { path: string, width: number, height: number },
 *   sidecar: string }}
 */
async function thumbnail({ input = {}, params, node, report }) {
  const src = sourcePath(input.src ?? params?.path);
  const buf = await readFile(src);
  if (!buf.subarray(0, 8).equals(PNG_MAGIC)) throw new TypeError(`${basename(src)} is not a PNG: thumbnail reads PNG files only`);
  const max = Number(input.max ?? 16);
  const png = decodePng(buf);
  const dir = await runDir(params, node, 'image');
  const out = { source: src, width: png.width, height: png.height, colorType: png.colorType, bytes: buf.length, sha256: sha256(buf) };
  if (png.pixels) {
    const scale = Math.max(png.width / max, png.height / max, 1);
    const w = Math.max(1, Math.round(png.width / scale));
    const h = Math.max(1, Math.round(png.height / scale));
    const { channels, pixels } = png;
    const small = Buffer.alloc(w * h * channels);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [x0, x1] = [Math.floor((x * png.width) / w), Math.max(Math.floor(((x + 1) * png.width) / w), Math.floor((x * png.width) / w) + 1)];
        const [y0, y1] = [Math.floor((y * png.height) / h), Math.max(Math.floor(((y + 1) * png.height) / h), Math.floor((y * png.height) / h) + 1)];
        for (let ch = 0; ch < channels; ch++) {
          let sum = 0;
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += pixels[(yy * png.width + xx) * channels + ch];
          small[(y * w + x) * channels + ch] = Math.round(sum / ((x1 - x0) * (y1 - y0)));
        }
      }
    }
    const path = join(dir, 'thumb.png');
    await writeAtomic(path, encodePng(w, h, channels, small));
    out.thumb = { path, width: w, height: h };
  }
  const sidecar = join(dir, 'thumb.json');
  await writeAtomic(sidecar, `${JSON.stringify(out, null, 2)}\n`);
  report?.({ products: [sidecar, ...(out.thumb ? [out.thumb.path] : [])] });
  return { ...out, sidecar };
}

// --- the join ------------------------------------------------------------------------------

/**
 * Writes `<out>/<runId>/manifest.json`: which branch ran and what it made. The branch that did
 * not run was skipped by its condition, so its entry in `upstream` is null.
 * @returns {{ manifest: string, branch: string, files: string[] }}
 */
async function publish({ params, upstream, node, report }) {
  const ran = Object.entries(upstream).filter(([, output]) => output !== null && output !== undefined);
  if (ran.length === 0) throw new Error('nothing to publish: no branch ran');
  const files = [];
  for (const [, output] of ran) {
    if (output.playlist) files.push(output.playlist, ...output.segments.map((s) => s.file));
    if (output.sidecar) files.push(output.sidecar);
    if (output.thumb) files.push(output.thumb.path);
  }
  const dir = await runDir(params, node);
  const manifest = join(dir, 'manifest.json');
  const doc = {
    run: node.runId,
    source: params?.path,
    branch: ran.map(([id]) => id).join('+'),
    outputs: Object.fromEntries(Object.entries(upstream).map(([id, output]) => [id, output ?? null])),
    files,
    publishedAt: new Date().toISOString(),
  };
  await writeAtomic(manifest, `${JSON.stringify(doc, null, 2)}\n`);
  report?.({ products: [manifest] });
  return { manifest, branch: doc.branch, files };
}

module.exports = { probeFile, transcode, thumbnail, publish };
