/**
 * GET /docs: one self-contained page (no CDN, no UI package) that fetches /openapi.json and
 * lists every operation by tag, with parameters, request and response schemas and a search box.
 * Its inline script and style are allowed by their hashes in a page-specific CSP.
 */
import { createHash } from 'node:crypto';

const STYLE = String.raw`
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #f6f8fb; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { position: sticky; top: 0; z-index: 1; background: #14213d; color: #fff; padding: 14px 24px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
header h1 { margin: 0; font-size: 20px; font-weight: 600; }
header .meta { color: #c9d3e6; font-size: 13px; }
header a { color: #9ec5ff; }
#search { margin-left: auto; min-width: 320px; padding: 8px 12px; border-radius: 6px; border: 0; font-size: 15px; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 64px; }
#intro { color: var(--muted); white-space: pre-line; font-size: 14px; }
#status { color: var(--muted); margin: 8px 0; }
section h2 { font-size: 18px; margin: 28px 0 4px; text-transform: capitalize; }
section > p { margin: 0 0 10px; color: var(--muted); }
details.op { scroll-margin-top: 72px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 6px 0; }
details.op > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: center; list-style: none; }
details.op > summary::-webkit-details-marker { display: none; }
details.op[open] > summary { border-bottom: 1px solid var(--line); }
.method { display: inline-block; min-width: 64px; text-align: center; font: 700 12px/22px ui-monospace, monospace; color: #fff; border-radius: 4px; text-transform: uppercase; }
.get { background: #1f7a4d; } .post { background: #1f5fbf; } .put { background: #8a5a00; } .patch { background: #6b3fa0; } .delete { background: #b3261e; }
.path { font: 14px ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 600; }
.summary { color: var(--muted); flex: 1; }
.auth { font-size: 12px; color: var(--muted); border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; white-space: nowrap; }
.opbody { padding: 4px 16px 12px; }
.opbody h4 { margin: 14px 0 6px; font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
pre { background: #f0f3f8; padding: 10px; border-radius: 6px; overflow: auto; max-height: 360px; }
ul.props { list-style: none; margin: 4px 0; padding-left: 16px; border-left: 2px solid var(--line); }
ul.props li { margin: 3px 0; }
.prop { font-weight: 600; }
.type { color: #7a3e9d; margin-left: 6px; font-family: ui-monospace, monospace; font-size: 13px; }
.req { color: #b3261e; font-size: 12px; margin-left: 6px; }
.cons { color: var(--muted); font-size: 12px; margin-left: 6px; }
.desc { color: var(--muted); font-size: 13px; }
.status { font: 700 13px ui-monospace, monospace; margin-right: 8px; }
.s2 { color: #1f7a4d; } .s4 { color: #8a5a00; } .s5 { color: #b3261e; }
details.sub > summary { cursor: pointer; margin: 4px 0; }
.error { color: #b3261e; }
`;

// Plain ES2017 in a string: no build step, no template literals, no external requests.
const SCRIPT = String.raw`
(function () {
  'use strict';
  var spec = null;
  var ops = [];
  var AUTH = { bearerAuth: 'JWT', apiKey: 'API key', apiKeyBearer: 'API key (Bearer)' };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  // The descriptions are Markdown-light: only backtick code spans are rendered.
  function rich(tag, cls, text) {
    var node = el(tag, cls ? { class: cls } : null);
    String(text || '').split('\u0060').forEach(function (part, i) {
      if (part) node.appendChild(i % 2 ? el('code', { text: part }) : document.createTextNode(part));
    });
    return node;
  }

  function lookup(ref) {
    return ref.replace(/^#\//, '').split('/').reduce(function (acc, key) { return acc ? acc[key] : undefined; }, spec) || {};
  }
  function refName(s) { return s && s.$ref ? s.$ref.split('/').pop() : null; }
  function deref(s) { return s && s.$ref ? lookup(s.$ref) : (s || {}); }

  function typeLabel(s) {
    if (refName(s)) return refName(s);
    s = s || {};
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
    var variants = s.anyOf || s.oneOf;
    if (variants) return variants.map(typeLabel).join(' | ');
    var t = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
    if (t === 'array') return typeLabel(s.items) + '[]';
    if (!t && s.properties) t = 'object';
    if (s.format) return (t || 'string') + ' (' + s.format + ')';
    return t || 'any';
  }

  function constraints(s) {
    s = deref(s);
    var parts = [];
    [['minimum', 'min'], ['maximum', 'max'], ['minLength', 'min length'], ['maxLength', 'max length'], ['maxItems', 'max items']]
      .forEach(function (p) { if (s[p[0]] !== undefined) parts.push(p[1] + ' ' + s[p[0]]); });
    if (s.default !== undefined) parts.push('default ' + JSON.stringify(s.default));
    return parts.length ? el('span', { class: 'cons', text: parts.join(', ') }) : null;
  }

  // A nullable value (anyOf [X, null]) shows as X plus "| null".
  function unwrap(s) {
    var d = deref(s);
    var variants = d.anyOf || d.oneOf;
    if (!variants) return { schema: s, nullable: false };
    var real = variants.filter(function (v) { return v.type !== 'null'; });
    return real.length === 1 && real.length < variants.length ? { schema: real[0], nullable: true } : { schema: s, nullable: false };
  }

  function isComplex(s) {
    s = deref(s);
    if (s.properties || s.anyOf || s.oneOf) return true;
    return s.type === 'array' && isComplex(s.items);
  }

  function tree(schema, depth, seen) {
    var name = refName(schema);
    var s = deref(schema);
    if (depth > 10 || (name && seen.indexOf(name) >= 0)) return el('span', { class: 'type', text: name || '...' });
    if (name) seen = seen.concat(name);
    var variants = s.oneOf || s.anyOf;
    if (variants) {
      var real = variants.filter(function (v) { return v.type !== 'null'; });
      if (real.length === 1) return tree(real[0], depth, seen);
      return el('ul', { class: 'props' }, variants.map(function (v, i) {
        return el('li', null, [el('span', { class: 'desc', text: 'variant ' + (i + 1) + ': ' }), tree(v, depth + 1, seen)]);
      }));
    }
    if (s.type === 'array') {
      // Under a property the type already reads "X[]".
      var inner = tree(s.items || {}, depth + 1, seen);
      return depth ? inner : el('div', null, [el('span', { class: 'desc', text: 'array of' }), inner]);
    }
    if (!s.properties && !s.additionalProperties) {
      return el('span', null, [el('span', { class: 'type', text: typeLabel(s) }), constraints(s)]);
    }
    var required = s.required || [];
    var items = Object.keys(s.properties || {}).map(function (key) {
      var u = unwrap(s.properties[key]);
      var p = u.schema;
      var description = deref(s.properties[key]).description || deref(p).description;
      return el('li', null, [
        el('code', { class: 'prop', text: key }),
        el('span', { class: 'type', text: typeLabel(p) + (u.nullable ? ' | null' : '') }),
        required.indexOf(key) >= 0 ? el('span', { class: 'req', text: 'required' }) : null,
        constraints(p),
        description ? rich('div', 'desc', description) : null,
        isComplex(p) ? tree(p, depth + 1, seen) : null,
      ]);
    });
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      items.push(el('li', null, [el('code', { class: 'prop', text: '[key: string]' }), el('span', { class: 'type', text: typeLabel(s.additionalProperties) })]));
    }
    return el('ul', { class: 'props' }, items);
  }

  function schemaBlock(schema, example) {
    return el('div', null, [
      tree(schema, 0, []),
      example !== undefined ? el('details', { class: 'sub' }, [el('summary', { text: 'Example' }), el('pre', { text: JSON.stringify(example, null, 2) })]) : null,
      el('details', { class: 'sub' }, [el('summary', { text: 'JSON Schema' }), el('pre', { text: JSON.stringify(schema, null, 2) })]),
    ]);
  }

  function authLabel(op) {
    if (!op.security || !op.security.length) return 'no auth';
    return op.security.map(function (req) { return Object.keys(req).map(function (k) { return AUTH[k] || k; }).join(' + '); }).join(' or ');
  }

  function renderBody(op) {
    var parts = [];
    if (op.description) parts.push(rich('p', null, op.description));
    parts.push(el('p', { class: 'desc', text: 'Auth: ' + authLabel(op) + ' - operationId ' + op.operationId }));
    var params = (op.parameters || []).map(deref);
    if (params.length) {
      parts.push(el('h4', { text: 'Parameters' }));
      parts.push(el('table', null, [
        el('tr', null, ['Name', 'In', 'Type', 'Required', 'Description'].map(function (h) { return el('th', { text: h }); })),
      ].concat(params.map(function (p) {
        return el('tr', null, [
          el('td', null, [el('code', { class: 'prop', text: p.name })]),
          el('td', { text: p.in }),
          el('td', null, [el('span', { class: 'type', text: typeLabel(p.schema) }), constraints(p.schema)]),
          el('td', { text: p.required ? 'yes' : 'no' }),
          rich('td', 'desc', p.description),
        ]);
      }))));
    }
    var body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
    if (body) {
      parts.push(el('h4', { text: 'Request body' + (op.requestBody.required ? ' (required)' : ' (optional)') }));
      parts.push(schemaBlock(body.schema, body.example));
    }
    parts.push(el('h4', { text: 'Responses' }));
    Object.keys(op.responses || {}).forEach(function (code) {
      var r = deref(op.responses[code]);
      var contentType = Object.keys(r.content || {})[0];
      var media = contentType ? r.content[contentType] : null;
      var head = el('summary', null, [el('span', { class: 'status s' + code.charAt(0), text: code }), r.description || '', media && contentType !== 'application/json' ? ' (' + contentType + ')' : '']);
      parts.push(el('details', { class: 'sub' }, [head, media && media.schema ? schemaBlock(media.schema, media.example) : el('p', { class: 'desc', text: 'No body' })]));
    });
    return el('div', { class: 'opbody' }, parts);
  }

  function renderOp(path, method, op) {
    var details = el('details', { class: 'op', id: 'op-' + op.operationId, 'data-method': method, 'data-path': path }, [
      el('summary', null, [
        el('span', { class: 'method ' + method, text: method }),
        el('code', { class: 'path', text: path }),
        el('span', { class: 'summary', text: op.summary || '' }),
        el('span', { class: 'auth', text: authLabel(op) }),
      ]),
    ]);
    // Bodies are built on first open: the page stays light with a hundred operations.
    details.addEventListener('toggle', function () {
      if (details.open && details.children.length === 1) details.appendChild(renderBody(op));
    });
    return details;
  }

  function render() {
    var root = document.getElementById('ops');
    var byTag = {};
    var tagOrder = (spec.tags || []).map(function (t) { return t.name; });
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        var tag = (op.tags && op.tags[0]) || 'other';
        if (tagOrder.indexOf(tag) < 0) tagOrder.push(tag);
        var node = renderOp(path, method, op);
        (byTag[tag] = byTag[tag] || []).push(node);
        ops.push({ node: node, tag: tag, text: [method, path, op.summary, op.description, op.operationId, tag].join(' ').toLowerCase() });
      });
    });
    tagOrder.forEach(function (tag) {
      if (!byTag[tag]) return;
      var info = (spec.tags || []).filter(function (t) { return t.name === tag; })[0] || {};
      root.appendChild(el('section', { 'data-tag': tag }, [el('h2', { text: tag }), info.description ? el('p', { text: info.description }) : null].concat(byTag[tag])));
    });
    filter();
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === 'DETAILS') { target.open = true; target.scrollIntoView(); }
  }

  function filter() {
    var words = document.getElementById('search').value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    ops.forEach(function (o) {
      o.node.hidden = !words.every(function (w) { return o.text.indexOf(w) >= 0; });
      if (!o.node.hidden) shown++;
    });
    document.querySelectorAll('section[data-tag]').forEach(function (section) {
      section.hidden = !section.querySelector('details.op:not([hidden])');
    });
    document.getElementById('status').textContent = shown + ' of ' + ops.length + ' operations';
  }

  document.getElementById('search').addEventListener('input', filter);
  fetch('/openapi.json', { headers: { Accept: 'application/json' } })
    .then(function (res) {
      if (!res.ok) throw new Error('GET /openapi.json answered ' + res.status);
      return res.json();
    })
    .then(function (doc) {
      spec = doc;
      document.title = doc.info.title + ' reference';
      document.getElementById('title').textContent = doc.info.title;
      document.getElementById('version').textContent = 'version ' + doc.info.version + ' - OpenAPI ' + doc.openapi;
      var intro = document.getElementById('intro');
      intro.appendChild(rich('span', null, doc.info.description));
      render();
    })
    .catch(function (err) {
      var status = document.getElementById('status');
      status.className = 'error';
      status.textContent = 'Could not load the API description: ' + err.message;
    });
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1 id="title">API reference</h1>
<span class="meta" id="version"></span>
<a class="meta" href="/openapi.json">openapi.json</a>
<input id="search" type="search" placeholder="Search operations: method, path, summary, tag" aria-label="Search operations" autofocus>
</header>
<main>
<p id="intro"></p>
<p id="status">Loading...</p>
<div id="ops"></div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Only this page's own script and style, and fetches to this origin. */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
