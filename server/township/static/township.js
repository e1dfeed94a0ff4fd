// Township pages: a picker submits its form when changed (the CSP forbids inline handlers).
document.addEventListener('change', (event) => {
  const el = event.target;
  if (el.matches('select[data-autosubmit]') && el.form) {
    el.form.submit();
  }
});
