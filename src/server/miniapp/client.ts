/**
 * The Mini App's only script, served at /miniapp/app.js (no build step, no third-party code, no inline
 * script). It does three small things in the browser:
 * 1. hands Telegram's `initData` (the URL fragment's `tgWebAppData`, or `Telegram.WebApp.initData`) to
 *    the server by submitting the opening form — the server validates it, never this script;
 * 2. tells Telegram the page is ready (`web_app_ready`);
 * 3. finds Wallet Standard wallets (the `wallet-standard:app-ready` / `register-wallet` events) and,
 *    when one offers `solana:signMessage`, shows "Sign with <wallet>": it connects, picks the account
 *    that is the member's `signer`, signs the message's raw bytes, and submits the base58 signature
 *    in the same form as a pasted one.
 */
export const MINIAPP_SCRIPT = String.raw`(function () {
  'use strict';
  var B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  function base58(bytes) {
    var digits = [0];
    for (var i = 0; i < bytes.length; i++) {
      var carry = bytes[i];
      for (var j = 0; j < digits.length; j++) { carry += digits[j] << 8; digits[j] = carry % 58; carry = (carry / 58) | 0; }
      while (carry > 0) { digits.push(carry % 58); carry = (carry / 58) | 0; }
    }
    var out = '';
    for (var k = 0; k < bytes.length && bytes[k] === 0; k++) out += '1';
    for (var m = digits.length - 1; m >= 0; m--) out += B58[digits[m]];
    return out;
  }
  function initData() {
    var tg = window.Telegram && window.Telegram.WebApp;
    if (tg && tg.initData) return tg.initData;
    try { return new URLSearchParams(location.hash.slice(1)).get('tgWebAppData') || ''; } catch (e) { return ''; }
  }
  function ready() {
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent('web_app_ready', '');
      else if (window.external && 'notify' in window.external) window.external.notify(JSON.stringify({ eventType: 'web_app_ready', eventData: '' }));
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: 'web_app_ready', eventData: '' }), 'https://web.telegram.org');
    } catch (e) { /* outside Telegram */ }
  }
  function say(id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; el.hidden = false; } }

  var wallets = [];
  function register() {
    for (var i = 0; i < arguments.length; i++) if (wallets.indexOf(arguments[i]) < 0) wallets.push(arguments[i]);
    showWallets();
    return function () {};
  }
  function canSign(w) { return w && w.features && w.features['solana:signMessage'] && typeof w.features['solana:signMessage'].signMessage === 'function'; }
  function showWallets() {
    var box = document.getElementById('wallets');
    var form = document.getElementById('approve');
    if (!box || !form || !form.dataset.message) return;
    var usable = wallets.filter(canSign);
    if (usable.length === 0) return;
    box.textContent = '';
    usable.forEach(function (w) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'wallet';
      b.textContent = 'Sign with ' + String(w.name || 'your wallet');
      b.addEventListener('click', function () { signWith(w, form); });
      box.appendChild(b);
    });
    document.getElementById('wallet').hidden = false;
  }
  async function signWith(w, form) {
    var signer = form.dataset.signer;
    try {
      say('wallet-status', 'Asking ' + String(w.name || 'the wallet') + '…');
      var accounts = w.accounts || [];
      var connect = w.features['standard:connect'];
      if (connect && typeof connect.connect === 'function') accounts = (await connect.connect()).accounts || accounts;
      var account = accounts.filter(function (a) { return a && a.address === signer; })[0];
      if (!account) { say('wallet-status', 'This wallet has no account ' + signer + ' (your signer in the policy): choose that account in the wallet, or paste a signature below.'); return; }
      var out = await w.features['solana:signMessage'].signMessage({ account: account, message: new TextEncoder().encode(form.dataset.message) });
      var sig = out && out[0] && out[0].signature;
      if (!sig || sig.length !== 64) { say('wallet-status', 'The wallet returned no signature.'); return; }
      form.elements.signature.value = base58(sig);
      say('wallet-status', 'Signed. Sending…');
      form.submit();
    } catch (e) {
      say('wallet-status', 'The wallet did not sign: ' + String((e && e.message) || e));
    }
  }
  window.addEventListener('wallet-standard:register-wallet', function (event) {
    try { event.detail({ register: register }); } catch (e) { /* a broken wallet is ignored */ }
  });
  try { window.dispatchEvent(new CustomEvent('wallet-standard:app-ready', { detail: { register: register } })); } catch (e) { /* old webview */ }

  function start() {
    ready();
    var data = initData();
    document.querySelectorAll('input[name=initData]').forEach(function (el) { if (!el.value) el.value = data; });
    var open = document.getElementById('open');
    if (open) {
      if (!data) { say('status', 'Open this page from the Approve button of a backstop card in Telegram.'); return; }
      open.submit();
      return;
    }
    showWallets();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;
