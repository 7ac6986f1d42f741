"""The form macros (app/web/templates/_forms.html) write well-formed fields: each attribute
apart (two run together are lost by the browser), the value escaped, the error tied to its
field for screen readers, and never a secret written back into a password field."""

from __future__ import annotations

from app.web.pages import FormErrors, environment

TEMPLATE = (
    '{% from "_forms.html" import field %}'
    '{{ field("a", "Nom", errors, values, hint="aide", autocomplete="off") }}'
    '{{ field("b", "Secret", errors, values, type="password") }}'
)


def test_a_field_in_error_has_every_attribute_apart_and_its_value_escaped() -> None:
    errors = FormErrors()
    errors.add("a", "Indiquez un nom.")
    html = environment.from_string(TEMPLATE).render(
        errors=errors, values={"a": 'x<"y', "b": "my secret"}
    )
    assert (
        '<input id="a" name="a" type="text" value="x&lt;&#34;y" autocomplete="off" required'
        ' aria-invalid="true" aria-describedby="a-aide a-erreur">'
    ) in html
    assert '<input id="b" name="b" type="password" required>' in html
    assert "my secret" not in html
