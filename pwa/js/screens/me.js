/**
 * "Me": the account and its villages, the language, storage, the app's version, and the
 * ways out: change the password, lock, log out.
 */
import { h, mount } from '../ui.js';
import { t, language, setLanguage } from '../i18n.js';
import { data } from '../store.js';
import { lockApp } from '../shell.js';
import { logout } from '../account.js';
import { villages } from './common.js';

/**
 * Me: account, villages, language, storage, version, password, lock and logout.
 * @param {HTMLElement} view
 */
export async function me(view) {
  const user = data.reference.user || data.device?.user || {};
  const storage = h('p.muted#storage');
  const version = h('span#app-version');
  mount(view, h('section.card', null, h('h2', null, user.full_name || user.username || ''),
    h('p.muted', null, t('me.villages'), '：', villages().map((v) => v.name).join('、')),
    h('a.small#change-password', { href: '#/password', role: 'button' }, t('password.change'))),
  h('section.card', null, h('h3', null, t('me.language')), h('div.seg', null,
    ['zh', 'en'].map((lang) => h('button' + (language() === lang ? '.on' : ''), { type: 'button', id: 'lang-' + lang,
      onclick: () => { setLanguage(lang); location.reload(); } }, lang === 'zh' ? '中文' : 'English')))),
  h('section.card', null, storage, h('p.muted', null, t('me.version'), '：', version)),
  h('section.card.buttons', null,
    h('button.wide#lock', { type: 'button', onclick: () => lockApp() }, t('me.lock')),
    h('button.danger.wide#logout', { type: 'button', onclick: () => logout(view) }, t('me.logout'))));
  if (navigator.storage && navigator.storage.estimate) {
    const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(),
      navigator.storage.persisted ? navigator.storage.persisted() : false]);
    storage.textContent = t('storage.used', { used: (usage / 1048576).toFixed(1), quota: Math.round(quota / 1048576) }) +
      '。' + (persisted ? t('storage.persisted') : t('storage.notpersisted'));
  }
  fetch('./version.json', { cache: 'no-store' }).then((r) => r.json()).then((v) => { version.textContent = v.version; })
    .catch(() => { version.textContent = document.documentElement.dataset.version || '—'; });
}
