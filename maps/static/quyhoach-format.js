/* Numbers, amounts, areas, dates and names as a reader writes them, in Vietnamese or English.
 * The same rules as core/i18n.py (number, count, ratio, hectares, percent, billions, amount,
 * day_text, scale_text, ascii_fold); tests/test_formats.py checks both write the same strings.
 * Used by the map, the dashboard and the export control as window.qhFormat. */
(function (root) {
  'use strict';

  var MARKS = { vi: ['.', ','], en: [',', '.'] };
  var UNITS = {
    billion: { vi: 'tỷ đồng', en: 'billion VND' },
    million: { vi: 'triệu đồng', en: 'million VND' },
    dong: { vi: 'đồng', en: 'VND' },
  };

  function isEmpty(value) { return value === null || value === undefined || value === ''; }
  function word(pair, lang) { return lang === 'en' ? pair.en : pair.vi; }

  // toFixed rounds the exact value, halves away from zero, as Python's ROUND_HALF_UP does.
  function fixed(x, digits) {
    var s = x.toFixed(digits);
    return /^-[0.]*$/.test(s) ? s.slice(1) : s;
  }

  function number(value, digits, lang) {
    if (isEmpty(value)) { return ''; }
    var x = Number(value);
    if (!isFinite(x)) { return ''; }
    var marks = MARKS[lang] || MARKS.vi;
    var parts = fixed(x, digits || 0).split('.');
    var whole = parts[0], sign = '';
    if (whole.charAt(0) === '-') { sign = '-'; whole = whole.slice(1); }
    var groups = [];
    for (var i = whole.length; i > 0; i -= 3) { groups.unshift(whole.slice(Math.max(0, i - 3), i)); }
    return sign + groups.join(marks[0]) + (parts.length > 1 ? marks[1] + parts[1] : '');
  }

  function count(value, lang) { return number(value, 0, lang); }
  function ratio(part, whole, lang) { return count(part, lang) + '/' + count(whole, lang); }

  function hectares(value, lang, digits) {
    var s = number(value, digits == null ? 2 : digits, lang);
    return s ? s + ' ha' : '';
  }

  function percent(value, lang, digits) {
    var s = number(value, digits == null ? 1 : digits, lang);
    return s ? s + '%' : '';
  }

  function billions(value, lang, digits) {
    if (isEmpty(value)) { return ''; }
    return number(Number(value) / 1e9, digits == null ? 1 : digits, lang);
  }

  function amount(value, lang) {
    if (isEmpty(value)) { return ''; }
    var vnd = Number(value), size = Math.abs(vnd);
    if (size >= 1e9 || Math.abs(Number(fixed(vnd / 1e6, 0))) >= 1000) {
      return number(vnd / 1e9, size >= 1e10 ? 1 : 2, lang) + ' ' + word(UNITS.billion, lang);
    }
    if (size >= 999999.5) {
      return number(vnd / 1e6, size >= 1e8 ? 0 : 1, lang) + ' ' + word(UNITS.million, lang);
    }
    return number(vnd, 0, lang) + ' ' + word(UNITS.dong, lang);
  }

  function day(value, lang) {
    if (!value) { return ''; }
    var p = String(value).slice(0, 10).split('-');
    return lang === 'en' ? p.join('-') : p[2] + '/' + p[1] + '/' + p[0];
  }

  function scale(denominator, lang) { return '1:' + count(denominator, lang); }

  // Without diacritics (đ as d), for matching what is typed with or without accents.
  function fold(text) {
    return String(text == null ? '' : text).replace(/đ/g, 'd').replace(/Đ/g, 'D')
      .normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  }

  var collator = null;
  // Names in Vietnamese alphabetical order (ă, â, đ, ê, ô, ơ, ư letters of their own).
  function compare(a, b) {
    if (!collator) { collator = new Intl.Collator('vi'); }
    return collator.compare(String(a), String(b));
  }

  var api = {
    number: number, count: count, ratio: ratio, hectares: hectares, percent: percent,
    billions: billions, amount: amount, day: day, scale: scale, fold: fold, compare: compare,
  };
  if (typeof module === 'object' && module.exports) { module.exports = api; }
  root.qhFormat = api;
}(typeof window !== 'undefined' ? window : globalThis));
