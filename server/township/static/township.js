// Township pages: a picker submits its form when changed (the CSP forbids inline handlers).
document.addEventListener('change', (event) => {
  const el = event.target;
  if (el.matches('select[data-autosubmit]') && el.form) {
    el.form.submit();
  }
});

// A form that ends something for someone (a phone revoked, an account stopped) asks first.
document.addEventListener('submit', (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
