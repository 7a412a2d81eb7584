// The printable form's «Печать» button (no inline handler: the Content-Security-Policy forbids them).
document.querySelectorAll('[data-print]').forEach(function (button) {
  button.addEventListener('click', function () { window.print(); });
});
