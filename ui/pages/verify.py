"""The office's own page: ``/verify?token=…`` from the letter or e-mail of a verification round."""

from ui.verify_form import render_verify_page

render_verify_page()
