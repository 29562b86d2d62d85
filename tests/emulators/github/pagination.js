'use strict';
// GitHub's page-number pagination: `per_page` (default 30, values above the endpoint's
// maximum are clamped, not rejected), `page` (1-based; past the end gives []), and an
// RFC 5988 `Link` header with rel="prev", "next", "last", "first" - only the relations
// that exist, in that order, and no header at all when everything fits on one page.
//
// GitHub sometimes builds Link URLs as /repositories/<id>/...; the emulator keeps the
// /repos/<owner>/<repo>/... path the client asked for, which is also a form GitHub uses
// and the only one in the OpenAPI description the emulator validates against.

function pageParams(query, { defaultPerPage = 30, maxPerPage = 100 } = {}) {
  const rawPer = Number.parseInt(query.get('per_page'), 10);
  const rawPage = Number.parseInt(query.get('page'), 10);
  const perPage = Number.isFinite(rawPer) && rawPer > 0 ? Math.min(rawPer, maxPerPage) : defaultPerPage;
  const page = Number.isFinite(rawPage) && rawPage > 0 ? rawPage : 1;
  return { perPage, page };
}

/**
 * Slices `items` for the requested page.
 * @param {URL} requestUrl the absolute URL of the request (its query is kept in links)
 * @returns {{ items: any[], link: string|null, perPage: number, page: number, lastPage: number }}
 */
function paginate(items, requestUrl, options = {}) {
  const { perPage, page } = pageParams(requestUrl.searchParams, options);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const linkTo = (p) => {
    const u = new URL(requestUrl.href);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return `<${u.href}>`;
  };
  const rels = [];
  if (page > 1) rels.push(`${linkTo(Math.min(page - 1, lastPage))}; rel="prev"`);
  if (page < lastPage) rels.push(`${linkTo(page + 1)}; rel="next"`, `${linkTo(lastPage)}; rel="last"`);
  if (page > 1) rels.push(`${linkTo(1)}; rel="first"`);
  return { items: slice, link: rels.length ? rels.join(', ') : null, perPage, page, lastPage };
}

/** Parses a Link header into { rel: url } (for tests and clients). */
function parseLinkHeader(header) {
  const out = {};
  for (const part of String(header || '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part);
    if (m) out[m[2]] = m[1];
  }
  return out;
}

module.exports = { paginate, pageParams, parseLinkHeader };
