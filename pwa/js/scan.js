/**
 * QR patient cards on the phone: scan a card with the camera (or type the code printed
 * under it) and open the resident's profile, offline; or link a blank card to a resident
 * at the door. Lookups read only the residents on this phone: each carries its active
 * card's `card_code` and `card_fallback`, and `cards_revoked` (docs/adr/0032-cards-on-phones.md).
 *
 * Decoding uses the browser's BarcodeDetector where it exists (Android Chrome) and jsQR
 * from npm otherwise (served from /app/vendor/jsqr/, precached like the app's own files).
 */
import { h, mount, toast } from './ui.js';
import * as store from './store.js';
import { runSync } from './shell.js';

export const QR_PREFIX = 'C1';
export const QR_RE = /^C1[0-9A-HJKMNP-TV-Z]{20}$/;
export const FALLBACK_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXY';
export const FALLBACK_LENGTH = 9;
const JSQR_URL = './vendor/jsqr/jsQR.js';
const SCAN_EVERY_MS = 60;
const FRAME_MAX_PX = 640; // larger frames only slow jsQR down; a card fills the view anyway
const LOOKUP_TIMEOUT_MS = 4000;

/**
 * What a person meant to type: upper case, separators dropped, O/I/L read as 0/1.
 * Mirrors server/cards/codes.py normalise_fallback.
 * @param {string} text
 * @returns {string}
 */
export function normaliseFallback(text) {
  return String(text || '').toUpperCase().replace(/[\s\-_.]/g, '')
    .replace(/O/g, '0').replace(/[IL]/g, '1');
}

/**
 * Is a normalised fallback code nine known characters with the right check character?
 * Weights 9..1, sum ≡ 0 (mod 31): every single typo and every swap is caught.
 * @param {string} code
 * @returns {boolean}
 */
export function fallbackOk(code) {
  if (code.length !== FALLBACK_LENGTH) return false;
  let sum = 0;
  for (let i = 0; i < code.length; i += 1) {
    const v = FALLBACK_ALPHABET.indexOf(code[i]);
    if (v < 0) return false;
    sum += (FALLBACK_LENGTH - i) * v;
  }
  return sum % FALLBACK_ALPHABET.length === 0;
}

/**
 * Find the resident a scanned QR text or a typed fallback names, among local residents.
 * @param {Iterable<object>} residents
 * @param {string} text
 * @returns {{status: 'active'|'revoked'|'not_here'|'bad_check'|'foreign', resident?: object, code?: string}}
 *   'not_here': one of our codes, but no resident on this phone holds it (another village's
 *   card, a blank card, or a card issued since the last sync)
 */
export function findByCode(residents, text) {
  const raw = String(text || '').trim();
  let field = 'card_code';
  let code = raw;
  if (!QR_RE.test(raw)) {
    code = normaliseFallback(raw);
    if (code.length !== FALLBACK_LENGTH) return { status: 'foreign' };
    if (!fallbackOk(code)) return { status: 'bad_check' };
    field = 'card_fallback';
  }
  const all = [...residents]; // may be a Map iterator: read it once
  for (const r of all) {
    if (r[field] === code) return { status: 'active', resident: r, code };
  }
  for (const r of all) {
    if ((r.cards_revoked || []).includes(code)) return { status: 'revoked', code };
  }
  return { status: 'not_here', code };
}

const MESSAGES = {
  revoked: '此卡已挂失作废，不能再使用：请改用补办的新卡，或用姓名查找居民。',
  not_here: '本机没有这张卡：可能是其他村居民的卡、尚未绑定的空白卡，或新发的卡还没同步。',
  bad_check: '卡号校验不对，请逐个字符核对（共9位）。',
  foreign: '这不是居民健康卡的二维码。',
  other_village: '这是其他村居民的卡，不在您负责的村。',
  blank: '这是一张空白卡，还没有绑定居民：请在居民档案里点“绑定居民卡”。',
  unknown: '此卡不存在，或不是本乡镇发放的卡。',
  camera: '无法打开摄像头：请允许使用相机，或直接输入卡号。',
};

/** Ask the server what an unknown code is (only when online; never blocks the screen). */
async function askServer(code) {
  if (!navigator.onLine || !store.data.device) return null;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), LOOKUP_TIMEOUT_MS);
  try {
    const response = await fetch('/api/cards/lookup', { method: 'POST', cache: 'no-store',
      credentials: 'omit', signal: ctrl.signal, body: JSON.stringify({ code }),
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + store.data.device.token } });
    return response.ok ? (await response.json()).status : null;
  } catch (e) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

let jsqrLoading = null;
function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  jsqrLoading = jsqrLoading || new Promise((resolve, reject) => {
    // jsQR ships as a UMD bundle: a classic script that sets window.jsQR.
    const script = document.createElement('script');
    script.src = JSQR_URL;
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => { jsqrLoading = null; reject(new Error('jsQR failed to load')); };
    document.head.append(script);
  });
  return jsqrLoading;
}

async function makeDetector() {
  if ('BarcodeDetector' in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
        return async (video) => (await detector.detect(video)).map((b) => b.rawValue);
      }
    } catch (e) { /* fall through to jsQR */ }
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  return async (video) => {
    const scale = Math.min(1, FRAME_MAX_PX / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const hit = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'dontInvert' });
    return hit ? [hit.data] : [];
  };
}

/**
 * Start the camera in `video` and call `onCode(text)` for each QR read (until stopped).
 * @param {HTMLVideoElement} video
 * @param {(text: string) => void} onCode
 * @returns {Promise<() => void>} stop: releases the camera
 */
export async function startScanner(video, onCode) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: false,
    video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } } });
  let stopped = false;
  const stop = () => { stopped = true; stream.getTracks().forEach((t) => t.stop()); video.srcObject = null; };
  video.srcObject = stream;
  await video.play();
  const detect = await makeDetector();
  const tick = async () => {
    if (stopped || !video.isConnected) { if (!stopped) stop(); return; }
    if (video.readyState >= 2 && video.videoWidth) {
      try {
        for (const text of await detect(video)) if (!stopped) onCode(text);
      } catch (e) { /* a bad frame: try the next one */ }
    }
    if (!stopped) setTimeout(tick, SCAN_EVERY_MS);
  };
  tick();
  return stop;
}

/**
 * The scan screen. '#/scan': find a resident; '#/scan/link/<residentId>': link a blank card.
 * @param {HTMLElement} view
 * @param {string} [mode]
 * @param {string} [residentId]
 */
export function scanView(view, mode, residentId) {
  const started = performance.now();
  const linking = mode === 'link' ? store.data.resident.get(residentId) : null;
  const status = h('p.form-status#scan-status', { role: 'status' }, '对准居民健康卡上的二维码');
  const video = h('video#scan-video', { muted: true, playsInline: true, autoplay: true,
    style: 'width:100%;max-height:55vh;background:#000;border-radius:10px;object-fit:cover' });
  video.setAttribute('playsinline', '');
  const input = h('input#card-input', { type: 'text', inputmode: 'text', autocomplete: 'off',
    autocapitalize: 'characters', placeholder: '或输入卡号', maxlength: '14' });
  let stop = null;
  let busy = false;
  const say = (text, kind = 'bad') => { status.textContent = text; status.className = 'form-status ' + kind; };
  const done = (hash) => { if (stop) stop(); location.hash = hash; };

  const onCode = async (text) => {
    if (busy) return;
    const found = findByCode(store.data.resident.values(), text);
    if (linking) { busy = true; await link(found, text); busy = false; return; }
    if (found.status === 'active') {
      done('#/resident/' + found.resident.id);
      // From opening the screen (camera start included) to the code found and routed.
      store.data.lastScanMs = performance.now() - started;
      document.body.dataset.scanMs = String(Math.round(store.data.lastScanMs));
      document.body.dataset.scan = 'found';
      return;
    }
    say(MESSAGES[found.status]);
    document.body.dataset.scan = found.status;
    if (found.status === 'not_here') {
      busy = true;
      const answer = await askServer(found.code);
      busy = false;
      if (answer && MESSAGES[answer] && location.hash.startsWith('#/scan')) {
        say(MESSAGES[answer]);
        document.body.dataset.scan = answer;
      }
    }
  };

  const link = async (found, text) => {
    if (!QR_RE.test(String(text).trim())) { say(found.status === 'foreign' ? MESSAGES.foreign : '绑定须扫描卡上的二维码。'); return; }
    if (found.status === 'active' && found.resident.id === linking.id) { say('这已经是该居民的卡。', 'ok'); return; }
    if (found.status === 'active') { say(`此卡已属于 ${found.resident.name}，请换一张空白卡。`); return; }
    if (found.status === 'revoked') { say(MESSAGES.revoked); return; }
    const code = String(text).trim();
    await store.saveLocal('resident', { ...linking, card_code: code }, { changed: { card_code: code } });
    toast('已绑定居民卡，同步后生效');
    document.body.dataset.scan = 'linked';
    done('#/resident/' + linking.id);
    runSync('saved');
  };

  // The camera reads the same card many times a second: answer each card once, so its
  // message stays put and a code typed meanwhile is not overwritten.
  let lastRead = '';
  const onCamera = (text) => {
    if (busy || text === lastRead) return;
    lastRead = text;
    onCode(text);
  };

  const typed = h('button.primary#card-find', { type: 'button', style: 'white-space:nowrap', onclick: () => onCode(input.value) }, '查找');
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') onCode(input.value); });
  mount(view, h('h2.title', null, linking ? `为 ${linking.name} 绑定居民卡` : '扫码找居民'),
    h('section.card', null, video, status),
    linking ? h('p.muted', null, '扫描一张空白的居民健康卡；同步后该居民原来的卡作废。')
      : h('section.card', null, h('div', { style: 'display:flex;gap:.5rem' }, input, typed)));
  document.body.dataset.scan = 'scanning';
  startScanner(video, onCamera).then((s) => {
    if (location.hash.startsWith('#/scan')) stop = s; else s();
  }).catch(() => say(MESSAGES.camera));
  window.addEventListener('hashchange', () => { if (stop) stop(); }, { once: true });
}
