import re, pytest
from playwright.sync_api import expect
pytestmark = pytest.mark.browser
def test_dbg(new_context, people, make_incident, make_retrospective, console):
    retro = make_retrospective(make_incident())
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    page.evaluate("""document.addEventListener('htmx:afterSwap', e => console.log('afterSwap', e.target.tagName, e.target.className, document.contains(e.target)))""")
    page.locator("#section-summary").get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page.locator("#section-summary.editing textarea")).to_be_visible()
    page.wait_for_timeout(500)
    print(page.evaluate("document.activeElement.outerHTML.slice(0,200)"))
    print(console.messages)
    print(page.evaluate("fetch('/static/app/retrospector.js').then(r=>r.text())")[:300])
