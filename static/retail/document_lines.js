/* A document's lines as 1С:Розница fills them, without a page reload (no build step, plain JS):
   - choosing a position fills the line's price from the price type (the store's retail price in an order,
     the document's own in «Установка цен» and «Поступление») and the VAT rate from the item;
   - quantity × price gives the line's sum (and the VAT inside it) as you type, and the totals under the lines;
   - a scanned barcode adds a line (or one more to the line already there) in the form itself: nothing is
     written until the document is, so a scan never fails because of another field and never loses a line.
   The configuration comes from the page (json_script «document-lines-config»). */
(function () {
  'use strict';
  var $ = window.django && window.django.jQuery;
  var configNode = document.getElementById('document-lines-config');
  if (!$ || !configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var PREFIX = 'lines';
  var NBSP = '\u00a0';

  /* --- numbers: typed the Russian way (1 306,84), computed in integers (kopecks, thousandths) --- */
  function parse(text) {
    var clean = String(text || '').replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
    if (!/^-?\d*(\.\d*)?$/.test(clean) || clean === '' || clean === '.' || clean === '-') { return null; }
    return clean;
  }
  function scaled(text, places) {  // "12.5", 3 -> 12500n, rounded half up
    var clean = parse(text);
    if (clean === null) { return null; }
    var negative = clean.charAt(0) === '-';
    if (negative) { clean = clean.slice(1); }
    var parts = clean.split('.');
    var whole = parts[0] || '0';
    var fraction = (parts[1] || '') + '0'.repeat(places + 1);
    var value = BigInt(whole + fraction.slice(0, places));
    if (Number(fraction.charAt(places)) >= 5) { value += 1n; }
    return negative ? -value : value;
  }
  function divRound(numerator, denominator) {  // half up, for non-negative values
    return (numerator * 2n + denominator) / (denominator * 2n);
  }
  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  }
  function moneyText(kopecks) {
    var negative = kopecks < 0n;
    var abs = negative ? -kopecks : kopecks;
    var text = abs.toString().padStart(3, '0');
    return (negative ? '-' : '') + group(text.slice(0, -2)) + ',' + text.slice(-2);
  }
  function fixedText(value, places) {  // an input's value as Django renders it: 2,000
    var text = value.toString().padStart(places + 1, '0');
    return text.slice(0, -places) + ',' + text.slice(-places);
  }
  function vatPercent(rate) {
    return /^\d+$/.test(rate || '') ? BigInt(rate) : 0n;
  }

  /* --- the lines --- */
  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }
  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll('#' + PREFIX + '-group tr.form-row'), function (row) {
      return !row.classList.contains('empty-form') && row.id !== PREFIX + '-empty';
    });
  }
  function deleted(row) {
    var box = field(row, 'DELETE');
    return box && box.checked;
  }
  function headerValue(name) {
    var input = document.getElementById('id_' + name);
    return input ? input.value : '';
  }
  function documentDate() {
    return headerValue('date_0') || headerValue('date');
  }

  function lineAmount(row) {
    var quantity = scaled(field(row, 'quantity') ? field(row, 'quantity').value : '', 3);
    var price = scaled(field(row, 'price') ? field(row, 'price').value : '', 2);
    if (quantity === null || price === null) { return null; }
    return divRound(quantity * price, 1000n);
  }

  function setCell(row, name, text) {
    var cell = row.querySelector('td.field-' + name);
    if (!cell) { return; }
    var holder = cell.querySelector('p') || cell;
    holder.textContent = text;
  }

  function recompute() {
    var total = 0n, vat = 0n;
    rows().forEach(function (row) {
      if (deleted(row)) { return; }
      var amount = lineAmount(row);
      if (config.kind === 'order') {
        var rate = vatPercent(field(row, 'vat_rate') ? field(row, 'vat_rate').value : '');
        var lineVat = amount === null ? null : divRound(amount * rate, 100n + rate);
        setCell(row, 'amount_shown', amount === null ? '—' : moneyText(amount));
        setCell(row, 'vat_shown', lineVat === null ? '—' : moneyText(lineVat));
        if (amount !== null) { total += amount; vat += lineVat; }
      } else if (config.kind === 'receipt') {
        var sum = field(row, 'amount');
        if (amount !== null && sum && sum.dataset.typed !== 'yes') { sum.value = moneyText(amount); }
        var written = sum ? scaled(sum.value, 2) : amount;
        if (written !== null) { total += written; }
      }
    });
    var totals = document.getElementById(config.kind === 'order' ? 'order-totals' : 'lines-totals');
    if (!totals) { return; }
    if (config.kind === 'order') {
      var prepaid = 0n;
      document.querySelectorAll('#payments-group tr.form-row').forEach(function (row) {
        if (row.classList.contains('empty-form') || deleted(row)) { return; }
        var value = field(row, 'amount') ? scaled(field(row, 'amount').value, 2) : null;
        if (value !== null) { prepaid += value; }
      });
      var text = 'Всего: ' + moneyText(total) + ' | НДС в т.ч.: ' + moneyText(vat);
      if (prepaid) {
        var toPay = total > prepaid ? total - prepaid : 0n;
        text += ' | Предоплата: ' + moneyText(prepaid) + ' | К оплате: ' + moneyText(toPay);
      }
      totals.textContent = text;
    } else {
      totals.textContent = 'Всего: ' + moneyText(total);
    }
  }

  /* --- a position chosen: its price and VAT rate --- */
  var PRICE_FIELD = {order: 'price', price_setting: 'price', receipt: 'retail_price'};
  var PRICE_TYPE = {order: 'store', price_setting: 'price_type', receipt: 'retail_price_type'};

  function fillDefaults(row) {
    var item = field(row, 'item');
    // A write-off, a count or a transfer has no price to fill.
    if (!item || !item.value || !config.defaults_url || !PRICE_FIELD[config.kind]) { return; }
    var query = new URLSearchParams({item: item.value, date: documentDate()});
    ['characteristic', 'pack'].forEach(function (name) {
      if (field(row, name) && field(row, name).value) { query.set(name, field(row, name).value); }
    });
    var typeField = PRICE_TYPE[config.kind];
    if (typeField) { query.set(typeField === 'store' ? 'store' : 'price_type', headerValue(typeField)); }
    row.dataset.pending = 'yes';
    fetch(config.defaults_url + '?' + query.toString(), {credentials: 'same-origin'})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var priceInput = field(row, PRICE_FIELD[config.kind] || '');
        // A price the user typed stays; one this script filled follows the position.
        if (priceInput && data.price !== undefined && (!priceInput.value || priceInput.dataset.auto === 'yes')) {
          priceInput.value = data.price ? data.price_text : '';
          priceInput.dataset.auto = 'yes';
        }
        var vat = field(row, 'vat_rate');
        if (vat && data.vat_rate && (!vat.value || vat.dataset.auto === 'yes')) {
          vat.value = data.vat_rate;
          vat.dataset.auto = 'yes';
        }
        recompute();
      })
      .finally(function () { delete row.dataset.pending; });
  }

  $(document).on('change', '#' + PREFIX + '-group select', function () {
    var row = this.closest('tr.form-row');
    if (!row) { return; }
    if (/-(item|characteristic|pack)$/.test(this.name)) { fillDefaults(row); }
    if (/-vat_rate$/.test(this.name)) { this.dataset.auto = 'no'; recompute(); }
  });
  document.addEventListener('input', function (event) {
    var target = event.target;
    if (!target.name || !target.closest) { return; }
    if (target.closest('#' + PREFIX + '-group') || target.closest('#payments-group')) {
      if (/-(price|retail_price)$/.test(target.name)) { target.dataset.auto = 'no'; }
      if (/-amount$/.test(target.name) && target.closest('#' + PREFIX + '-group')) { target.dataset.typed = 'yes'; }
      recompute();
    }
  });
  document.addEventListener('change', function (event) {
    if (event.target.name && /-DELETE$/.test(event.target.name)) { recompute(); }
  });

  /* --- a scanned barcode: a line in the form --- */
  var status = document.getElementById('scan-status');
  function say(text, failed) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle('errornote', Boolean(failed));
  }

  function setChoice(select, choice) {
    if (!select) { return; }
    var $select = $(select);
    if (!choice) { $select.val(null).trigger('change'); return; }
    if (!select.querySelector('option[value="' + choice.id + '"]')) {
      select.appendChild(new Option(choice.text, choice.id, true, true));
    }
    $select.val(choice.id).trigger('change');
  }

  function sameLine(row, data) {
    var item = field(row, 'item'), characteristic = field(row, 'characteristic');
    var wanted = data.characteristic ? data.characteristic.id : '';
    return item && item.value === data.item.id && (!characteristic || characteristic.value === wanted);
  }

  function nextNumber() {
    var top = 0;
    rows().forEach(function (row) {
      var number = field(row, 'line_number');
      if (number && /^\d+$/.test(number.value)) { top = Math.max(top, Number(number.value)); }
    });
    return top + 1;
  }

  function addLine(data) {
    var quantityName = config.quantity_field;
    var existing = rows().filter(function (row) { return !deleted(row) && sameLine(row, data); })[0];
    if (existing && quantityName && quantityName !== 'price') {
      var input = field(existing, quantityName);
      var now = scaled(input.value, 3) || 0n;
      input.value = fixedText(now + scaled(data.quantity, 3), 3);
      recompute();
      return existing;
    }
    if (existing) { return existing; }
    var add = document.querySelector('#' + PREFIX + '-group tr.add-row a');
    var total = document.getElementById('id_' + PREFIX + '-TOTAL_FORMS');
    if (!add || !total) { return null; }
    add.click();
    var row = document.getElementById(PREFIX + '-' + (Number(total.value) - 1));
    if (!row) { return null; }
    if (field(row, 'line_number')) { field(row, 'line_number').value = String(nextNumber()); }
    if (quantityName && quantityName !== 'price' && field(row, quantityName)) {
      field(row, quantityName).value = fixedText(scaled(data.quantity, 3), 3);
    }
    setChoice(field(row, 'item'), data.item);
    setChoice(field(row, 'characteristic'), data.characteristic);
    return row;
  }

  var barcode = document.getElementById('id_barcode');
  function scan(event) {
    if (!barcode || !config.barcode_url) { return; }
    var code = barcode.value.trim();
    event.preventDefault();
    if (!code) { say('Отсканируйте штрихкод.', true); return; }
    fetch(config.barcode_url + '?' + new URLSearchParams({code: code}).toString(), {credentials: 'same-origin'})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.error) { say(data.error, true); return; }
        addLine(data);
        barcode.value = '';
        say('Добавлено: ' + data.text + '. Строки запишутся вместе с документом.', false);
      })
      .catch(function () { say('Штрихкод не проверен: нет связи с сервером. Повторите сканирование.', true); })
      .finally(function () { barcode.focus(); });
  }
  if (barcode) {
    barcode.addEventListener('keydown', function (event) { if (event.key === 'Enter') { scan(event); } });
    var button = document.getElementById('scan-add');
    if (button) { button.addEventListener('click', scan); }
  }
})();
