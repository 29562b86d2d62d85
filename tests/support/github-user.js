'use strict';
// GitHub's "simple-user" object, shared by the GitHub emulator's REST responses and the
// webhook payloads of events.js: both carry the same shape.

const WEB = 'https://github.com';

function nodeId(prefix, id) {
  return `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
}

/** A person, an organization, or (type 'Bot') the identity behind GITHUB_TOKEN. */
function simpleUser(api, { login, id, type = 'User' }) {
  const url = `${api}/users/${encodeURIComponent(login)}`;
  const isBot = type === 'Bot';
  return {
    login,
    id,
    node_id: isBot ? 'MDM6Qm90NDE4OTgyODI=' : nodeId(type === 'Organization' ? 'O' : 'U', id),
    avatar_url: isBot ? 'https://avatars.githubusercontent.com/in/15368?v=4' : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: isBot ? `${WEB}/apps/github-actions` : `${WEB}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

module.exports = { simpleUser, nodeId, WEB };
