# stepwise — the message catalogue, English (the reference every other
# language follows). One message per id; $variables are filled in by the
# program; numbers choose plural forms.

## The steps screen

header-car = car { $car }
header-steps-id = stepsID { $id }
header-at = at { $time } UTC
header-not-loaded = not loaded
header-watch-on = watch ON
header-watch-live = watch ON · live
header-watch-polling = watch ON · polling every { $secs } s
header-watch-retrying = watch ON · retrying
header-watch-off = watch off
header-autoplay = autoplay
header-guide-lang = guide: { $lang }
progress-done = { $done } of { $total } done
progress-filtered = (filter: { $filter }, { $shown ->
    [one] 1 step shown
   *[other] { $shown } steps shown
})
list-title = Steps, in order
list-title-filtered = Steps: { $filter } only
list-loading = Asking the gateway for the steps…
list-loading-held = Held back: the gateway asked every request to wait (HTTP 429, the header counts it down); the steps are asked for when the wait ends.
list-none = No list yet: press r to ask again.
list-none-waiting = No list yet: the gateway asked to wait (the message says how long); watch asks again when the wait is over.
list-none-sign-in = No list yet: the gateway wants a valid token. Press i to sign in, if it offers sign-in (else start again with --token-file); the list is asked for again after.
list-none-token-given = No list yet: the gateway wants a valid token, and signing in here fails (the message says why). Quit and start again with a token given: --token-file FILE or STEPWISE_TOKEN.
list-none-unknown-id = No list: the gateway does not know this id, so asking again will not help. Check the id.
list-none-fix-cause = No list: asking again gets the same answer until the cause the message names is fixed.
list-empty-filtered = No step is { $filter }. Press f to change the filter.
list-empty = The gateway returned no steps for this carAssociationID.
mark-next = NEXT
mark-waits = waits
mark-status-raw = status { $status }
mark-waits-for = waits for { $order }
guide-title = How the customer does it: { $title }
guide-title-none = Guidance
guide-no-step = No step to guide. If the customer's app still refuses the service, check the carAssociationID, or reset the steps cache with R.
guide-waiting = The guidance for the next step appears when the list arrives.
guide-link = Guide:
guide-does = The customer does:
guide-needs = At hand:
guide-errors = App errors of this step:
guide-errors-hint = key 'e' explains them
guide-link-archive = Developers' documentation (archived, English):
guide-keys-gateway = 'g' shows the customer's page ({ $lang }) on the gateway as a QR code; key 'o' opens it.
guide-keys-dealer = 'g' shows the dealer's help page as a QR code; key 'o' opens it.
guide-keys-archive = 'g' shows the archived developers' page as a QR code; key 'o' opens it (the gateway serves no customer pages).
guide-more-below = ↓ more: PgDn
guide-more-above = ↑ more above: PgUp
list-more-below = ↓ { $count } more: j
list-more-above = ↑ { $count } more above: k
ready-title = Service ready
ready-line = Every step is done: the service is ready to use.
ready-services = The subscribed service (Vehicle Status or Remote Commands) can now be used from the customer's app.
ready-stale-before = If the app still fails with error 2312 or 2317, the steps cache is stale: press{" "}
ready-stale-after = {" "}to reset it and see the truth.

## Requests in flight

loading-steps = fetching the steps
loading-held = { $what }, held by the gateway's limit (HTTP 429)
loading-refresh = refreshing
loading-reset = resetting the steps cache
loading-next = asking for the next step
loading-customer = the customer is acting

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… more: a larger window shows it all{" "}
banner-cut-help = {" "}… more: ? shows it all{" "}

banner-no-steps-id = No stepsID yet
banner-no-steps-id-text = Refresh with r first.
banner-no-steps-id-in-list-text = The gateway's list came without a stepsID, and the next step can only be asked for by stepsID: r will not bring one. Tell the gateway's operator that its list lacks a stepsID.
banner-steps-id-dropped = stepsID dropped
banner-steps-id-dropped-text = The gateway refused the stepsID it had given, so it was dropped; the list on screen is the last one that came with it. r asks for a new one by carAssociationID.
banner-watch-off = Watch off
banner-watch-off-text = Press w to watch again.
banner-nothing-to-watch = Nothing to watch
banner-nothing-to-watch-text = Every step is already done.
banner-no-step-shown = No step on screen
banner-no-step-shown-text = g and o give the customer the page of the step on screen, and there is none: no list has come yet, or it has no step. Press r to ask for the list again.
banner-key-needs-list = { $key } needs a list of steps, and none has come. Why:
banner-no-step-shown-filter-text = g and o give the customer the page of the step on screen, and the filter hides every step (no step is { $filter }). Press f until the steps show, then pick one with ↑↓.
banner-watching = Watching
banner-watching-text = Following the list until every step is done (the header says how: live, or polling); w stops.
banner-list-without-steps-id = No stepsID in the list
banner-list-without-steps-id-text = The gateway's list carries no stepsID: the next-step call (n) and live events cannot ask by it, so watch asks by carAssociationID every { $secs } s. Tell the gateway's operator: a list carries its stepsID.
banner-watch-stopped = Watch stopped: { $what }
banner-live-trouble = Watch interrupted: { $what }
banner-live-stalls = Live stream back after a stall
live-bad-event = the gateway's live event stream sent an event that could not be used: { $why }. The lists themselves are fine; tell the gateway's operator
live-proxy-held = the live event stream got no answer within { $secs } s through the proxy { $proxy }, though the list calls through it are answered: the proxy holds back an answer that does not end (it buffers the event stream). Ask who runs the proxy to pass text/event-stream through unbuffered, or set NO_PROXY={ $host } if the gateway can be reached without it
banner-live-trouble-text = { $why }. Watch goes on by itself when it can; until then the list on screen may be out of date.
banner-live-trouble-wait-text = { $why }. The gateway asked to wait { $secs } s (its Retry-After): watch asks again then; until then the list on screen may be out of date.
banner-live-trouble-wait-capped-text = { $why }. The gateway asked to wait { $secs } s (its Retry-After); stepwise waits at most { $max } s: watch asks again then; until then the list on screen may be out of date.
banner-429-capped-text = { $why }. stepwise waits at most { $max } s: it asks again then (as the header counts down), and the gateway may refuse that the same way until its own wait is over.
banner-live-held-text = { $why }. Watch does not ask again by itself: a token renewal whose answer was lost is not sent again unattended (its refresh token may be spent). Press r once the way to the identity provider works; until then the list on screen may be out of date.
banner-watch-retries = Watch asks again by itself (the header says retrying); r asks now.
banner-watch-waits = Watch asks again by itself after that wait; asking sooner (r) does not help.
banner-watch-waits-secs = Watch asks again by itself after the { $secs } s the gateway asked to wait; asking sooner (r) does not help.
banner-env-restart = A running stepwise reads the proxy variables when it starts: quit (q) and start it again after changing them.
banner-live-fallback = Live stream given up: the list is asked for every { $secs } s
banner-live-fallback-text = The gateway's event stream kept failing (last: { $what }). Watch goes on by asking for the list every { $secs } s, so the list on screen stays up to date, a change shows up to { $secs } s late. If this lasts, give the failure in brackets to the gateway's operator, or to whoever runs a proxy on the way (a stream can fail in one).
banner-live-fallback-contradicted-text = Given up at once: { $what }. Watch goes on by asking for the list every { $secs } s, so the list on screen stays up to date, a change shows up to { $secs } s late.
banner-watch-stopped-text = { $why }. Watching would only repeat this answer; press w to watch again once it is fixed.
banner-run-keeps-refusal = { $why }. This run asks the gateway no more with this login, so r and w get this answer again: once it is fixed, or after a new `stepwise login`, quit with q and start stepwise again.
banner-sign-in-text = The gateway refused the token (HTTP 401). Press i to sign in here.
banner-sign-in-kept-fixed-text = The gateway refused the token kept by `stepwise login --with-token` (HTTP 401). Ask whoever runs the gateway for its current token, keep it with `stepwise login --with-token` and start again; or press i to sign in here, if it offers sign-in (i says so if not).
banner-sign-in-given-text = The gateway refused the token from { $from } (HTTP 401). Put its current token there and start again; or press i to sign in here, if the gateway offers sign-in (i says so if not).
banner-simulated = Customer simulated
banner-simulated-text = The simulated customer completed { $title }; asking the gateway for the list.
banner-simulate-demo-only = s plays the customer on the demo backend only
banner-simulate-demo-only-text = Here the customer acts on the phone. Against `stepwise serve`, a step is completed with: curl -X POST { $url }
banner-simulate-demo-only-token-text = Here the customer acts on the phone. Against `stepwise serve`, a step is completed with: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: the token this wizard sends)
banner-simulate-demo-only-fixed-text = Here the customer acts on the phone. Against `stepwise serve`, a step is completed with: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: the gateway's token you kept with `stepwise login --with-token`)
banner-simulate-demo-only-login-text = Here the customer acts on the phone. Against `stepwise serve`, a step is completed with: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: one the gateway takes. This wizard's comes from a sign-in and is never shown: start `stepwise serve --auth` with `--token T` as well, and send T)
banner-sign-in-none-text = The gateway wants a token, and none was sent (HTTP 401). Press i to sign in here, if it offers sign-in (i says so if not).
banner-sign-in-login-unreadable-text = The gateway wants a token, and none was sent (HTTP 401): the logins kept by `stepwise login` could not be read: { $why }. Quit, fix that and start again, or start with --token-file PATH.
banner-sign-in-again-text = { $why }: the login is over. Press i to sign in again.
banner-signed-in = Signed in
banner-signed-in-watch-resumed = Watch, which the refused token had stopped, goes on.
banner-signed-in-text = The token is kept in { $place }; the steps are asked for again with it.
banner-signed-in-given = This run uses it; the next one takes the token from { $from } again, which wins over the kept login: start it without { $from }.
banner-sign-in-failed = Sign-in failed
report-sign-in-cancelled = cancelled before the approval came (Esc, or the wizard ended): no token was kept
banner-sign-in-no-help = No sign-in started
banner-sign-in-no-help-text = a new sign-in with these settings would get the same answer. { $why }
banner-sign-in-failed-text = { $why }. Press i to try again.
banner-sign-in-failed-fix-text = { $why }. Pressing i again fails the same way until that is changed.
banner-sign-in-settings-text = { $why }. A running wizard reads its sign-in settings when it starts, and takes no --client-id or --scope: change them in the config file (`client_id`, `scopes`), then quit (q) and start it again.
banner-sign-in-wait-text = The identity provider gives no code for now ({ $said }) and asks to wait { $wait }. Press i after that wait.
banner-sign-in-expired-text = The code expired before it was approved. Press i for a new code, and approve it sooner.
banner-sign-in-denied-text = The sign-in was refused (access_denied) for the scopes { $scopes }. If it was refused in the browser, press i to sign in again. If not, the provider wants other scopes: ask its operator which, then quit, set them as `scopes` in the config file, and start again.
banner-sign-in-stopped-text = The identity provider stopped the sign-in ({ $said }). Press i to start a new one.
banner-sign-in-not-offered-text = The gateway at { $gateway } offers no sign-in: it takes a fixed token. Quit, keep the token with `stepwise login --with-token` (or give it with --token-file FILE or STEPWISE_TOKEN), and start again: a running wizard does not read a token kept meanwhile.
banner-sign-in-not-needed-text = The gateway at { $gateway } offers no sign-in, and it answered without a token: it needs none here, so there is nothing to sign in to.
banner-sign-in-discovery-refused-text = The gateway at { $gateway } refused the request for its sign-in metadata (HTTP 403): it publishes none to this client, or a firewall in front of it blocks that path. Ask the gateway's operator for a token; then quit, keep it with `stepwise login --with-token` (or give it with --token-file FILE or STEPWISE_TOKEN), and start again.
banner-sign-in-not-offered-given-text = The gateway at { $gateway } offers no sign-in: it takes a fixed token, and it refused the one from { $from }. Quit, put the gateway's current token there, and start again (a token kept with `stepwise login --with-token` is not used while { $from } gives one).
banner-customer-idle = Nothing left for the customer
banner-customer-idle-text = Every step is done.
banner-no-report-place = No place for the report
banner-no-report-place-text = There is no user data directory; use --report PATH instead.
banner-report-written = Report written
banner-note-kept = Note kept
banner-note-kept-text = It goes into the session report.
banner-note-kept-press-x-text = It goes into the session report, which x writes (no --report was given): press x before quitting. q with an unwritten note asks again, and a second q leaves without it; a run ended otherwise (Ctrl-C, a closed window) writes it where x does.
banner-note-token = Note not kept
banner-note-token-text = It holds what looks like a sign-in token, and a token never goes into a report. Press N and type the note without it.
banner-note-token-word-text = It holds what looks like a sign-in token (the { $len }-character word starting { $start }…), and a token never goes into a report. Press N: the note comes back as typed, to take that word out.
report-note-token-left-out = a note being typed when the wizard ended was left out: it held what looks like a sign-in token, and a token never goes into a report. Write it again without the token
banner-note-unsaved = Note not saved
banner-note-unsaved-text = No report holds your note yet (no --report was given). Press x to write the report with it, or q again to quit without it.
banner-note-unsaved-failed-text = No report holds your note yet: x could not write it ({ $why }). Fix that, then press x; or press q again to quit without the note.
banner-task-failed = The request stopped on an internal error
banner-task-failed-text = stepwise could not finish it ({ $why }). r tries again; if it happens again, send the log file to support.
banner-report-not-written = Report not written
banner-report-not-written-text = Cannot write { $path }: { $why }. Check the folder exists and is writable.
banner-report-in-the-way-text = Cannot write { $path }: a file is in the way at { $file }, where a folder must be (the reports folder or one above it). Move or rename that file, then press x again.
banner-guide-opened = Link handed to the browser
banner-no-browser = Could not open a browser
banner-no-graphical-session = No graphical session here. Open { $url } on another device, or press g for its QR code.
banner-no-graphical-session-local = No graphical session here, and { $url } is on this machine only (loopback), so another device cannot open it either. Give --api an address of the gateway that the shop's network reaches, then press g for its QR code.
banner-no-graphical-session-demo = No graphical session here, and { $url } is on this machine only (demo backend). For phones: run `stepwise serve --addr 0.0.0.0:8080` and give the wizard --api with the address serve prints; then g shows its QR code.
banner-browser-failed = { $why }. Open { $url } by hand, or press g for its QR code.
banner-step-done = { $count ->
    [one] { $steps } is done
   *[other] { $steps } are done
}
banner-step-undone = { $count ->
    [one] { $steps } is no longer done
   *[other] { $steps } are no longer done
}
banner-step-undone-text = The gateway's latest list has it to do again (a reset elsewhere, a revoked key, or a gateway that lost its state): the customer does it again; the list shows what is left.
banner-steps-undone-text = The gateway's latest list has them to do again (a reset elsewhere, a revoked key, or a gateway that lost its state): the customer does them again; the list shows what is left.
banner-next-is = next is { $title }.
banner-all-done-ready = every step is done, the service is ready.
banner-nothing-shown-left = nothing shown is left to do.
banner-reset-done = Steps cache reset
banner-reset-done-text = Every step was evaluated afresh; the list shows the truth.
banner-reset-refused-front = Reset refused
banner-reset-refused-front-text = Something in front of the gateway answered the steps-cache reset (resetSteps=true) with HTTP { $status } and no gateway's error body, while lists come from this address: only the reset call is refused. The cache was not reset, and the list on screen is as it was. Ask the gateway's operator, or who runs the network, whether the reset call is let through.
banner-reset-unanswered = Reset sent, no answer
banner-reset-unanswered-text = The gateway took the steps-cache reset (resetSteps=true) but did not answer within { $secs } s: the cache may be reset already, or not. Press r to see the list as it is now before anything else; reset again only if it still shows steps done that the customer has not done.
banner-reset-gave-up-text = The steps-cache reset (resetSteps=true) got HTTP { $status } from something in front of the gateway that gave up waiting on it: the cache may be reset already, or not. Press r to see the list as it is now before anything else; reset again only if it still shows steps done that the customer has not done.
banner-no-longer-found = No longer found
banner-no-longer-found-text = This address answered lists for this vehicle earlier in this session, and now answers 404 (not found): the id and --api were right, so the gateway, or a router or proxy in front of it, changed (a restart, a deployment, a lost route). Press r to ask again in a moment; if it persists, tell the gateway's operator, with the time.
banner-steps-id-changing = The gateway keeps changing this vehicle's stepsID
banner-steps-id-changing-text = Asked for the list of stepsID { $asked }, it answered the list of stepsID { $answered }, within a minute of starting over by carAssociationID. Watch stopped rather than ask without end. Press r to ask again by carAssociationID; if it keeps changing, tell the gateway's operator (or who runs a proxy or cache in between).
banner-started-over = Started over
banner-started-over-text = { $why }; asked again by carAssociationID.
banner-refused-again = The gateway refuses the stepsID it just gave
banner-refused-again-text = { $why }, again, within a minute of starting over by carAssociationID. Watch stopped rather than ask without end. Tell the gateway's operator; r asks once more by carAssociationID.
why-other-device = The stepsID belonged to another device
why-steps-id-unknown = The gateway no longer knows the stepsID
why-steps-id-changed = The gateway answered the list of another stepsID (a new one for this vehicle, or answers mixed up on the way)
banner-gateway-next = Next step, says the gateway
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), not in the shown list; f changes the filter.
banner-filter-ignored = Filtered here, not by the gateway
banner-list-lost-steps = List short of steps
banner-list-lost-steps-text = The gateway's list of stepsID { $id } no longer holds { $steps }, which were not done: a list is never short of the steps it held (a filtered list given as the whole one?). It is not taken, nor the vehicle said ready: the list on screen is the last whole one. Press r to ask again; if it stays so, tell the gateway's operator
banner-nothing-left = Nothing left to do
banner-nothing-left-text = The gateway answered null: no step remains, the service is ready.
banner-next-list-older = The list on screen is older than this answer: it is asked for again.
banner-next-disagrees = The gateway's two answers disagree
banner-next-disagrees-text = Its next step is { $said } (`{ $name }`), but the list asked again just now still puts { $first } (`{ $first_name }`, status “{ $status }”) first, not done: the list is not old. Ask the gateway's operator which one the customer does first.
banner-answers-disagree = The gateway contradicts itself
banner-answers-disagree-text = Its next-step call said nothing is left, but its list, asked again just now, still has steps to do (NEXT marks the first). Follow the list, and tell the gateway's operator that the two calls disagree.

## The start screen
backend-demo = demo backend
demo-car-987654 = Documentation example: phone trusted, device not activated
demo-car-moved = Demo vehicle, now { $done } of { $total } steps done (demo --fresh starts over)
demo-car-reset-done = Cache reset in this run: the list now shows the truth
demo-fresh-done = Demo started afresh: every demo vehicle is back where its label says.
demo-fresh-failed = cannot start the demo afresh: its state { $path } cannot be removed ({ $error }). Remove that file by hand, then start again
launch-note-title = Note
cli-ids-repeated = Given more than once, asked once: { $ids }.
cli-ids-one-line = { $path } holds one line of { $values } values in columns: only the first is read as a carAssociationID (a file's first column). To ask for each, put one id per line.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: the row on line { $lines } has no carAssociationID in the ids column, so it is skipped. Fill in its id to ask for that vehicle.
   *[other] { $path }: the rows on lines { $lines } have no carAssociationID in the ids column, so they are skipped. Fill in their ids to ask for those vehicles.
    }
cli-ids-column-guessed = { $path }: its first row names no carAssociationID column, so the ids were read from column { $column } (“{ $name }”), the one whose every value is an id with a digit. If those are not the vehicles' ids, head their column carAssociationID
demo-car-111111 = New customer: nothing done yet
demo-car-222222 = Service ready: every step done
demo-car-333333 = Stale cache: app shows 2312/2317, only a reset tells the truth
demo-car-444444 = Vehicle Status only: two steps

start-subtitle = service activation steps
start-intro = Type the customer's carAssociationID (from the connected-service subscription) and press Enter.
start-replace-hint = Typing replaces this id; ⌫ edits it
start-refused = Not accepted: { $chars }. An id holds only letters a–z, A–Z, digits, - and _.
start-dropped-confirm = Left out: { $chars }. Enter again takes { $id } as it stands (another vehicle?); correct it otherwise.
start-too-long = An id has at most { $max } characters; the rest was left out.
start-not-an-id = Type a carAssociationID: letters a–z, A–Z, digits, - or _.
start-excel-number = { $number } is a long number as Excel shows it (scientific notation), not an id: its last digits are lost. In Excel, format the column as Text, type the id again and copy it from there.
start-several-ids = { $count } lines were pasted (a column of ids?): the field takes one id, so none was taken. Paste or type one; for a board of them, quit and start with --cars FILE (one id per line) or --car ID --car ID
board-add-several-ids = { $count } lines were pasted (a column of ids?): this field adds one id at a time, so none was taken. Paste or type one, Enter, then a again for the next; the vehicles on the board stay
start-label-left-out = The paste began with its label “{ $label }”, left out: the field holds the id after it.
start-note-unsaved = Note not saved: no report holds it yet (no --report). Open a vehicle and press x there to write the report with it, or press q again to quit without it.
start-choices = Recent ids (↑↓ to pick):
start-choices-demo = Recent ids and demo associations (↑↓ to pick):
start-recent = recent

## A window too small

too-small-title = Window too small
too-small-text = stepwise needs { $min_w }×{ $min_h }; this one is { $w }×{ $h }.
too-small-hint = Enlarge the window (q quits).
too-small-note-unsaved = Your note is in no report yet: enlarge the window and press x to write the report with it, or press q again to quit without it.

## Overlays

help-title = Help (Esc closes)
help-title-more = Help (↓ PgDn for more, Esc closes)
help-section-start = Start screen
help-section-steps = Steps screen
help-section-message = The message on screen, in full
help-section-everywhere = Everywhere
help-section-reset = Reset confirmation
help-section-explain = Error-code explainer
help-section-qr = QR code
help-section-sign-in = Signing in
help-section-help = This help
help-section-badges = Badges
help-legend-badges = [DONE] alreadyDone  [TODO] todo  [????] a status this tool does not know
badge-done = DONE
badge-todo = TODO
badge-unknown = ????
help-legend-next = NEXT marks the step to do now; later steps wait for it.
reset-title = Reset the steps cache
reset-question = Reset the steps cache of { $car }?
reset-when = Use it when the customer's app shows error 2312 or 2317, or when a step shows done but is not.
reset-what = Every step is then evaluated afresh; steps that are really done stay done.
explain-title = Explain an app error code (Esc closes)
explain-code = App error code:
explain-prompt = Type the code the customer's app shows, e.g. 2312 or NOK:MAXNBTOOLS.
explain-known = Known: { $codes }
explain-meaning = Meaning:
explain-remedy = What to do:
explain-limits = Limits:
explain-reset-cures = ✔ The steps-cache reset cures it: close with Esc, then press{" "}
explain-unknown = { $code } is not a code this tool knows.
explain-unknown-hint = Check what was typed and look the code up in the maker's error list; after Esc, write it in a note (N) for the session report.
qr-title-gateway = Scan: the customer's page ({ $lang }) (Esc closes)
qr-title-dealer = Scan: the dealer's help page (Esc closes)
qr-title-archive = Scan: developers' documentation, archived (Esc closes)
qr-demo-local = Only this machine can open this page (demo backend). For phones: run `stepwise serve --addr 0.0.0.0:8080` and give the wizard --api with the address serve prints.
qr-loopback = This address is on this machine only (loopback): a phone cannot open it. Give --api the address the gateway has on the shop's network.
qr-too-small = The window is too small for the QR code; enlarge it to see it.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Enter
key-name-space = Space
key-name-pgdn = PgDn
key-name-pgup = PgUp
key-name-ctrl-c = Ctrl-C
# The letter that answers yes to a question (y answers yes in every language too).
key-name-yes = y

key-short-quit = quit
key-short-open = open
key-short-pick = pick
key-short-help = help
key-short-type = type
key-short-erase = erase
key-short-clear = clear
key-short-move = move
key-short-more = more
key-short-refresh = refresh
key-short-watch = watch
key-short-act = act
key-short-next = next
key-short-filter = filter
key-short-reset = reset
key-short-explain = explain
key-short-open-guide = open guide
key-short-qr = QR
key-short-report = report
key-short-sign-in = sign in
key-short-back = back
key-short-scroll = scroll
key-short-page = page
key-short-close = close
key-short-reset-now = reset now
key-short-cancel = cancel
key-short-open-browser = open in browser
key-short-guide-lang = guide lang
key-help-quit-now = quit at once
key-help-quit = quit
key-help-quit-empty = quit (while the field is empty)
key-help-open = open the steps of this carAssociationID
key-help-pick = pick a recent or demo id
key-help-help = help with every key
key-help-type-id = type the carAssociationID (letters a–z, A–Z, digits, - and _)
key-help-erase = erase the last character
key-help-clear = empty the field
key-help-move = move the selection
key-help-guide-down = scroll the guidance down
key-help-guide-up = scroll the guidance up
key-help-refresh = refresh the list by stepsID
key-help-watch = watch: follow each change until every step is done
key-help-act = simulated customer completes the next step (demo)
key-help-next = ask the gateway for the next step
key-help-filter = filter by status: all, todo, alreadyDone
key-help-reset = reset the steps cache (app errors 2312/2317)
key-help-explain = explain an app error code
key-help-open-guide = open the step's guide in a browser
key-help-qr = show the guide's link as a QR code
key-help-report = write the session report (Markdown)
key-help-sign-in = sign in to the gateway (after a refused token) without leaving this vehicle
key-help-back = back to the start screen
key-help-back-board = back to the board
key-short-note = note
key-help-note = write a note for the session report
key-help-save-note = keep the note for the report
key-help-type-note = type the note
help-section-note = The note for the report
key-help-scroll = scroll help
key-help-page-down = a page down
key-help-page-up = a page up
key-help-close-help = close help
key-help-reset-now = reset the steps cache now
key-help-cancel = cancel
key-help-close-explain = close the explainer
key-help-type-code = type the code: digits, letters, : _ .
key-help-guide-lang = switch the customer's guidance to the next language
key-help-close-qr = close the QR code
key-help-open-browser = open the link in a browser
key-help-open-sign-in-page = open the sign-in address in a browser
key-help-cancel-sign-in = stop signing in (nothing is kept)

## The session report (Markdown)

report-title = stepwise session report
report-none = (none)
report-backend = backend
report-end = state at the end: { $done } of { $total } done
report-end-ready = state at the end: { $done } of { $total } done, service ready
report-end-next = state at the end: { $done } of { $total } done, next: { $title } (`{ $name }`)
report-col-order = order
report-col-step = step
report-col-name = name
report-col-status = status
report-events = Events
report-event-opened = opened carAssociationID { $car }
report-event-removed = removed from the board by the technician
report-event-steps-id-changed = the gateway answered the list of another stepsID ({ $answered }); asked again by carAssociationID
report-event-list-next = list (stepsID { $id }): { $done } of { $total } done, next `{ $next }`
report-event-list-clear = list (stepsID { $id }): { $done } of { $total } done, nothing left
report-event-list-empty = list (stepsID { $id }): no steps returned, so the service is not known ready
report-event-filtered = list filtered on { $status }: { $shown ->
    [one] 1 step shown
   *[other] { $shown } steps shown
}
report-event-reset = steps cache reset asked for (resetSteps=true); the gateway's answer follows
report-event-next = the gateway's next step: `{ $step }`
report-event-next-none = the gateway's next step: none (null)
report-event-simulated = simulated customer completed `{ $step }`
report-event-error = error: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] the gateway no longer knew the stepsID (HTTP { $status }); started over with the carAssociationID
   *[other] the gateway refused the stepsID (HTTP { $status }); started over with the carAssociationID
}
report-event-started-over-live = the gateway's live stream refused the stepsID; started over with the carAssociationID
report-events-left-out = { $n ->
    [one] { $n } event left out
   *[other] { $n } events left out
} (the first { $first } and the last { $last } are kept)
report-vehicle-count = { $count ->
    [one] { $count } vehicle
   *[other] { $count } vehicles
}
report-empty = Nothing happened in this run: no vehicle was opened and no note was written.
report-ended-quit = Run ended at { $at }: the technician quit.
report-ended-hangup = Run ended at { $at }: the terminal was closed (SIGHUP), not by the technician's quit.
report-ended-signal = Run ended at { $at }: stopped by { $signal }, not by the technician's quit.
report-ended-terminal = Run ended at { $at }: the terminal went away under it, not by the technician's quit.
report-notes = Notes and session events
report-event-note = note: { $text }
report-event-signed-in = signed in from the wizard (i); the vehicles refused for want of a token ask again
report-event-sign-in-failed = sign-in from the wizard (i) failed: { $detail }
report-event-note-unfinished = note (unfinished: being typed when the wizard ended): { $text }
report-event-explained = code { $code } explained: { $meaning }
report-event-filter-chosen = status filter chosen: { $status }
report-event-watch-on = watch turned on
report-event-watch-off = watch turned off
report-event-watch-stopped = watch stopped by itself: { $what } (the answer would not change by asking again)
report-event-guide-lang = the customer's guidance switched to { $lang }
report-event-held = the gateway's HTTP 429 held every request to it for { $secs } s (its Retry-After): no list was asked meanwhile, and those on show aged

## The guidance pages the customer's phone opens

page-kicker = Activating your connected services: one step
page-errors = Codes the app may show at this step
page-footer = Shown by your dealer with stepwise
page-does = What to do:
page-needs = What you need:
page-errors-hint = If the app shows one of these codes, tell your dealer: they know what helps.
page-unknown-purpose = Your dealer's tool has no instructions for this step.
page-unknown-does =
    Open the app and follow what it asks for this step.
    If the app shows an error code, note it and show it to your dealer.
# The known steps' words on the customer's page where the panel speaks of "the customer": to them ("your PIN").
page-step-deviceActivation-purpose = Enrolls this phone for strong authentication: the phone is what you have, the PIN is what you know.
page-step-mediumCarKey-purpose = Proves that you really hold the vehicle's keys. It only has to be done once.
page-step-trusterPhoneNumber-needs =
    The phone whose number will be trusted, switched on and able to receive SMS
    The vehicle's app, logged in to your account
page-step-deviceActivation-needs =
    The phone being activated, with the trusted number able to receive SMS
    Your PIN if you already set one, or a new PIN you will remember
    A working data connection on the phone
page-step-mediumCarKey-needs =
    The phone already paired with the vehicle over Bluetooth
    The vehicle's keys, with you sitting inside the vehicle
    Location and Bluetooth both switched on in the phone's settings

## The plain output of steps and next

cli-none = none
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = No steps returned.
cli-no-steps-unknown = No steps returned: the service is not known ready. If the customer's app still refuses it, check the carAssociationID, or reset the steps cache (run it again with --reset)
cli-summary-next = { $done } of { $total } done; next: { $title }
cli-summary-clear = { $done } of { $total } done; nothing left to do
cli-interrupted-many = interrupted: the lists of the { $count } vehicles are printed together, in the file's order, once each is answered or the --deadline of { $secs } s is reached, so none was printed. Run it again; a shorter --deadline bounds the wait
cli-filtered = filtered: { $shown } { $filter } shown; run without --status for the whole list
cli-filter-ignored = the gateway did not apply the filter: { $other } of the { $total } steps above { $other ->
        [one] has
       *[other] have
    } the status { $status }. Tell the gateway's operator: stepsStatus is not applied
cli-filter-ignored-json = the gateway did not apply the filter: { $other } of the { $total } steps in its answer { $other ->
        [one] has
       *[other] have
    } the status { $status }. Tell the gateway's operator: stepsStatus is not applied
cli-no-steps-id = the gateway's list carries no stepsID: `stepwise next` and live events cannot ask by it, and the list can only be asked for again by carAssociationID. Tell the gateway's operator: a list carries its stepsID
cli-next-none = Nothing left to do: the service is ready.

## A failed gateway call: what happened, why, what to do

gw-unreachable = cannot reach the gateway at { $base }: { $detail }. Check that it runs and that --api is right
gw-unresolved = cannot reach the gateway at { $base }: the name { $host } is not known to this machine's DNS. Check the host name in --api and this machine's DNS settings (a VPN the gateway needs?)
gw-timed-out = the gateway at { $base } took the connection but did not answer within { $secs } s: it is busy or hung. Retry; if it persists, tell the gateway's operator
gw-timed-out-proxy = no answer within { $secs } s from the gateway at { $base } through the proxy { $proxy }: the proxy, or the gateway behind it, is silent. Ask who runs the proxy whether it passes requests to { $host }, or set NO_PROXY={ $host } if the gateway can be reached without the proxy; then retry
gw-too-large = the gateway's answer is larger than { $kib } KiB and was not read further: no steps list is that large, and asking again brings the same. If --api points at a steps gateway (lists came from it before), it sends far too much: tell the gateway's operator; if not, check that --api points at a steps gateway
gw-compressed = the gateway's answer{ $via } came compressed ({ $encoding }), though stepwise asks for answers as they are (Accept-Encoding: identity), and stepwise does not read it. The gateway, or a proxy on the way, compresses what was not asked: tell the gateway's operator (or who runs the proxy)
gw-captive-portal = HTTP 511{ $via }: the network this computer is on wants a sign-in first (a captive portal, as on guest Wi-Fi), so the request never reached the gateway. Open a web browser on this computer, accept the network's login page, then retry; or use another network
gw-scope-wanted = HTTP { $status }: the gateway took the token, but says it lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope). Sign in again asking for it (`stepwise login --scope "{ $ask }"`, or `scopes` in the config file), or ask whoever gives the tokens for one with that scope
gw-scope-wanted-asked = HTTP { $status }: the gateway took the token of the kept login, but says it lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope), though that login asked for { $scope }: signing in again asks for the same. Either the identity provider does not grant { $scope } to stepwise (ask its administrator), or the gateway wants another scope or audience (ask the gateway's operator)
gw-scope-wanted-dropped = HTTP { $status }: the gateway took the token of the kept login, but says it lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope): the sign-in asked for it, and the last token's grant left it out (granted: { $granted }), as a renewal may. Sign in again (`stepwise login`; in the wizard, i); if renewals keep dropping it, tell the identity provider's administrator
gw-scope-wanted-unnamed = HTTP { $status }: the gateway took the token, but says it lacks a scope (its WWW-Authenticate: insufficient_scope, naming none). Ask the gateway's operator which scope it wants, then sign in again with it (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: the gateway took the token from { $from }, but says it lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope). A token given there wins over any login: put one that has this scope there, or remove it and sign in with `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status }: the gateway took the token from { $from }, but says it lacks a scope (its WWW-Authenticate: insufficient_scope, naming none). Ask the gateway's operator which scope it wants, then put a token that has it there, or remove it and sign in with `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status }: the gateway wants a token with the scope { $scope }, and none was sent. Sign in asking for it (`stepwise login --scope "openid offline_access { $scope }"`, or `scopes` in the config file), or give a token that has it with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-scope-wanted-none-unnamed = HTTP { $status }: the gateway wants a token with a scope it does not name, and none was sent. Ask the gateway's operator which scope it wants, then sign in asking for it (`stepwise login --scope …`), or give a token that has it with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-scope-wanted-none-no-signin = HTTP { $status }: the gateway wants a token with the scope { $scope }, and none was sent. It offers no sign-in: its token comes from whoever runs it. Ask them for a token that has this scope, and keep it with `stepwise login --with-token`, or give it with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: the gateway wants a token with a scope it does not name, and none was sent. It offers no sign-in: its token comes from whoever runs it. Ask them for a token that has the scope it wants, and keep it with `stepwise login --with-token`, or give it with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-scope-wanted-taken-no-signin = HTTP { $status }: the gateway took the token from { $from }, but says it lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope). It offers no sign-in: its token comes from whoever runs it. Ask them for one that has this scope, and give it the same way (a kept one with `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: the gateway took the token from { $from }, but says it lacks a scope it does not name (its WWW-Authenticate: insufficient_scope). It offers no sign-in: its token comes from whoever runs it. Ask them for one that has the scope it wants, and give it the same way (a kept one with `stepwise login --with-token`)
gw-bad-answer = the gateway's answer could not be used: { $why }. If lists came from this --api before (this vehicle's or another's), the gateway, or something in front of it, answered this call with something else: tell the gateway's operator; if not, check that --api points at a steps gateway
gw-bad-answer-page = the answer is a web page (HTML) where the gateway's JSON belongs: something in front of the gateway (a firewall, a portal or a reverse proxy) answered, or --api points at a web server. If lists came from this --api before, ask who runs the network what the page is; if not, check that --api points at a steps gateway
gw-bad-answer-gateway = the gateway's answer could not be used: { $why }
gw-answer-cut = the gateway's answer was cut short ({ $why }). Retry; if it stays cut, the gateway or something on the way (a proxy) cuts its answers: tell the gateway's operator
answer-not-json = the answer is not JSON ({ $detail })
answer-html = the answer is an HTML page (a web server's, a portal's or a proxy's), not JSON
answer-empty = the answer is empty, where the gateway's JSON (a steps list, a step, or null) was expected
answer-not-utf8 = the answer is not UTF-8 text (another character set, such as Latin-1), which JSON must be
answer-gzip = the answer is gzip-compressed data that does not say so (no Content-Encoding): the gateway, or a proxy on the way, compresses what was not asked; tell the gateway's operator
answer-wrong-shape = the answer is JSON of another shape than a steps list ({ $detail })
answer-wrong-shape-step = the answer is JSON of another shape than a step ({ $detail })
answer-next-done = the gateway's next-step answer names { $step } but marks it done: it contradicts itself, and says neither that nothing is left nor which step is next. The list of this stepsID says which steps are left; tell the gateway's operator
answer-bad-steps-id = the gateway's list gives a stepsID ({ $id }) that breaks the contract's id rule (1 to 64 letters a–z, A–Z, digits, - or _), so it cannot be sent back for later lists or the next step. Tell the gateway's operator; the id typed is not at fault
answer-error-body = the gateway sent its error body ({ $said }) with a success status (HTTP 2xx): it refused the request, though its status says otherwise. Tell the gateway's operator
json-at = it stops being JSON at line { $line }, column { $column }
json-cut-at = it stops short at line { $line }, column { $column }: the answer was cut
json-stops-at = it stops at line { $line }, column { $column }
json-kind-null = null
json-kind-boolean = a boolean
json-kind-number = a number
json-kind-string = a string
json-kind-array = an array
shape-not-a-list = an object of steps was expected; it is { $kind }
shape-not-a-step = a step object or null was expected; it is { $kind }
shape-no-steps = an object with no stepsID and no step; its members are { $members }
shape-no-step = a step object or null was expected; it is an object with no step, whose members are { $members }
shape-live-without-id = a live event's list has no stepsID, on a stream that follows several
os-refused = the connection was refused: nothing listens at that address and port
os-reset = the other side cut the connection
os-network-unreachable = this machine has no route to that network
os-host-unreachable = this machine has no route to that host
os-network-down = this machine's network is down
os-timed-out = the connection timed out
os-denied = this machine refused to open the connection (a firewall or security setting)
os-not-a-folder = a file is in the way where a folder must be
os-read-only = the file system is read-only
os-file-denied = permission denied (this user may not write it, or it is locked)
os-no-file-here = no file can be made in that folder (a system folder such as /proc or /sys)
os-folder-gone = its folder { $folder } is no longer there: it was removed while the wizard ran, and is not made again
os-folder-in-the-way = a folder is in the way where a file must be
os-disk-full = the disk is full
os-addr-in-use = that port is in use already (by a program that listens there, or a connection that closed moments ago and holds it for a minute)
os-addr-not-available = this machine has no such address
net-closed-no-answer = the server closed the connection without answering
net-bad-header = the answer's headers are not valid HTTP (a broken server, or something on the way that changes answers)
net-bad-chunks = its chunks (Transfer-Encoding: chunked) are broken
net-head-broken = its headers are broken
net-tls-eof = the connection was closed during the TLS handshake
net-not-http = what answered is no HTTP (another service at that port, or a TLS server where the address says http://)
net-cut-short = it ended before the length it announced
net-stalled = it began, then stopped part-way, and nothing more came within the time allowed
net-dns-unknown = the name is not known to this machine's DNS
gw-transport = the request to the gateway failed: { $detail }. Retry; if it persists, check the network
gw-answer-malformed = the gateway's answer came, but is not valid HTTP: { $why }. Retry; if it persists, the gateway or something on the way (a proxy) breaks its answers: tell the gateway's operator
gw-redirect-refused = the gateway redirected { $from } to { $to }, another server or a connection that is not secure; stepwise does not follow it. Give --api the gateway's own address
gw-redirect-same-server = the gateway's address redirected { $from } to { $to }, a page of the same server that is not a steps call (a sign-in or portal page, most likely); stepwise does not follow it, nor send the token there. A steps gateway answers its calls with JSON, not a redirect: ask who runs that server to let the gateway's calls through, or give --api the gateway's own address
gw-redirect-to-https = the gateway at { $from } moved to { $to } (https://); stepwise does not follow a redirect. Use the https:// address in --api
gw-moved-away = the gateway redirected { $from } to { $to }, which answered HTTP { $status } without a gateway's error body: --api reached the gateway, and its redirect leads where no steps gateway answers. Tell the gateway's operator; if the steps moved there for good, try --api with that path
gw-foreign-list = asked for the list of stepsID { $asked }, the gateway answered the list of stepsID { $answered }; it is not shown as this vehicle's. The gateway may have started this vehicle over with a new stepsID: ask by carAssociationID (`stepwise steps --car ID`); if it persists, a proxy or cache between here and the gateway mixes up answers
gw-foreign-next = asked for the next step of stepsID { $asked }, the gateway answered one of stepsID { $answered }; it is not shown as this vehicle's. The gateway may have started this vehicle over with a new stepsID: ask by carAssociationID (`stepwise steps --car ID`); if it persists, a proxy or cache between here and the gateway mixes up answers
gw-title-redirect = Redirect not followed
gw-title-moved-away = Redirected to nothing
gw-user-info = the gateway URL has a user name or password in it (user:password@host), which stepwise neither shows nor sends. Remove it from the URL; the gateway's token goes in --token-file, STEPWISE_TOKEN or the config file
gw-bad-url = the gateway URL { $url } is not usable: { $reason }. Give one like http://127.0.0.1:8080
url-no-host = it has no host
url-bad-port = its port is not a number from 1 to 65535
url-bad-ip = its IP address is not valid (an IPv6 address goes in brackets, e.g. http://[::1]:8080)
url-ipv6-brackets = its IPv6 address is not in brackets, so its port cannot be told from it: write it as http://[::1]:8080
url-port-twice = its port is written more than once (a second :number after the host): give it once
url-query = it holds a query (?…), which stepwise never sends: give the gateway's base URL without it (a token goes in --token-file, STEPWISE_TOKEN or `stepwise login`)
url-ipv6-zone = its IPv6 address carries a zone (%eth0), which a URL's host cannot carry here: give the gateway's global address or a host name
url-ipv6-unclosed = its IPv6 address opens a bracket [ that no ] closes: write it as http://[::1]:8080
url-bad-host = its host name holds a character no host name can (a space?)
url-not-absolute = it is not a whole URL
url-not-http = only http:// and https:// are taken
gw-bad-path = cannot build the URL of { $path }: { $detail }
gw-bad-token = the token has characters a header cannot carry; check the token file
gw-http-setup = cannot set up the HTTP client: { $detail }
gw-demo-unavailable = cannot start the embedded simulator on a loopback port: { $detail }
gw-demo-state = the embedded simulator cannot keep its state in { $folder }: { $detail }. That must be a folder this user can write: fix or remove what is in the way, or give --api a gateway
gw-demo-state-file = the embedded simulator cannot save its state in { $file }: { $detail }. That file and its folder must be writable by this user (no full disk, no read-only or locked file): fix that, or give --api a gateway. The gateway is not at fault: there is none
gw-live-cut = the gateway's live stream was cut in the middle of an event. It reconnects by itself; if this repeats, check the proxies between here and the gateway
gw-live-not-offered = the gateway now answers the events call as one that offers no live events (HTTP 404 or 405, without code 2346), though it answered the lists: it may have come back from a restart without them. Tell the gateway's operator if live following is expected
gw-live-cut-direct = the gateway cut its live stream in the middle of an event (no proxy is in use here). It reconnects by itself; if this repeats, tell the gateway's operator (or who runs a reverse proxy in front of it)
gw-live-silent = the gateway's live stream sent nothing for { $secs } s, not even a keep-alive. It reconnects by itself; if this repeats, check the network
gw-live-silent-no-keepalive = the gateway's live stream sent its first events, then nothing for { $secs } s, not even the keep-alive the contract asks at least every 15 s: the gateway sends no keep-alives, or a proxy on the way holds them back. It reconnects by itself, and a change may show up to { $secs } s late; tell the gateway's operator
gw-live-no-first-event = the gateway's live stream opened but sent no list within { $secs } s (keep-alives at most), though the current lists come at once: a proxy may be holding it back. It reconnects by itself, then polls the lists instead
gw-live-no-first-event-direct = the gateway's live stream opened but sent no list within { $secs } s (keep-alives at most), though the current lists come at once; no proxy is in use here, so the gateway, or a reverse proxy in front of it, holds them back. It reconnects by itself, then polls the lists instead; tell the gateway's operator
gw-live-other-events = the gateway's live stream sent events of type “{ $kind }”, and none of type steps within { $secs } s: its lists come under another event type than the contract's, so none is read. It reconnects by itself, then polls the lists instead; tell the gateway's operator that each list must come as `event: steps` (or with no event line)
gw-live-no-list-events = the gateway's live stream sent only events of type “{ $kind }”, with no list in them, and no list within { $secs } s, though the current lists come at once. It reconnects by itself, then polls the lists instead; if this lasts, tell the gateway's operator that the stream must send each list at once, as `event: steps`
gw-live-not-text = the gateway's live stream is not UTF-8 text. Check that --api points at a steps gateway
gw-live-bad-line = the gateway's live stream has a line that is no event field. Check that --api points at a steps gateway
gw-live-lists = live status follows 1 to 200 lists at once, not { $count }
gw-live-said = the gateway's live stream sent an error: { $said }. It reconnects by itself; if this repeats, tell the gateway's operator
gw-live-said-cause = the gateway's live stream sent an error: { $said }
gw-live-said-no-step = the gateway's live stream says this stepsID has no step any more: { $said }. Start again with the carAssociationID (the wizard does so by itself)
gw-live-contradicted = the gateway's live stream of { $count } lists said a stepsID has no step any more ({ $said }), yet each of those lists answers when asked by its stepsID: the gateway contradicts itself, and which vehicle it meant is not known. stepwise follows them by polling from now on; tell the gateway's operator
gw-live-contradicted-one = the gateway's live stream said this stepsID has no step any more ({ $said }), yet its list answers when asked by that stepsID: the gateway contradicts itself. stepwise follows the list by polling from now on; tell the gateway's operator
gw-live-contradicted-unsent = { $count ->
    [one] The stream had sent no list for stepsID { $ids }: the one it may have meant
   *[other] The stream had sent no list for the stepsIDs { $ids }: one of them it may have meant
}
gw-live-left-out = the gateway's live stream sent the current lists of { $sent } of its { $lists } stepsIDs at once, but not { $count ->
        [one] that of stepsID { $ids }, which it owes as well
       *[other] those of the stepsIDs { $ids }, which it owes as well
    }: a vehicle left out would never be followed. The lists are asked for instead; tell the gateway's operator
gw-live-refused = the gateway refuses its live stream while it answers the lists ({ $why }). The lists are asked for instead
gw-live-refused-401-none = the gateway refuses its live stream without a token (HTTP 401) while it answers the lists without one: `stepwise login` finds none needed, so no sign-in changes that. The lists are asked for instead; tell the gateway's operator if live following is expected
gw-live-refused-401-sent = the gateway's live stream refuses the token that its lists take (HTTP 401): a new sign-in gives a token like it, so none changes that. The lists are asked for instead; tell the gateway's operator if live following is expected
gw-live-closed-soon = the gateway's live stream closed soon after sending its lists, { $times } times in a row (each within a minute): it keeps no stream open, so a change would show late. The lists are asked for instead; tell the gateway's operator
gw-live-page = the gateway's events call answered a web page (HTML) where its event stream belongs: something in front of the gateway (a proxy, a firewall) may keep streams out. The lists are asked for instead; ask who runs the network in front of the gateway to let text/event-stream through, and if nothing is in front, tell the gateway's operator
gw-live-page-titled = the gateway's events call answered a web page (HTML, “{ $said }”) where its event stream belongs: something in front of the gateway (a proxy, a firewall) may keep streams out. The lists are asked for instead; ask who runs the network in front of the gateway to let text/event-stream through, and if nothing is in front, tell the gateway's operator
gw-live-compressed = the gateway's live stream came compressed ({ $encoding }), though stepwise asks for none, so its bytes are no events: the gateway, or a proxy on the way, compresses it. The lists are asked for instead; tell the gateway's operator (or whoever runs the proxy) to send text/event-stream uncompressed
gw-live-foreign = the gateway's live stream sent a list of stepsID { $answered }, which it was not asked for, while the { $count ->
    [one] list it was asked for answers
   *[other] { $count } lists it was asked for answer
} when asked by stepsID, so the list on screen was kept as it is: tell the gateway's operator (or whoever runs a proxy or cache in between)
gw-400 = the gateway refused the request as malformed
gw-400-todo = Check the id you typed; if it is right, report a bug
gw-400-said-todo = Its words say what it refused (the id was checked before sending). If they name a header or parameter, something on the way (a proxy) may change requests: tell who runs the network; else report a bug
gw-400-filter-todo = Its words name the status filter (stepsStatus): this gateway does not take it. List without it (no --status; in the wizard, f until the filter is all), and tell the gateway's operator if you need it
gw-400-filter-unchosen-todo = Its words name the status filter (stepsStatus), though none was chosen: stepwise asks for every step (stepsStatus=all, the contract's default, then no stepsStatus at all), and nothing chosen here changes that. Tell the gateway's operator that this call is refused
gw-400-id-todo = Its words name the id: the gateway does not take the one given (its own rule for ids may be stricter than letters a–z, A–Z, digits, - and _). Check the id with the customer's account
gw-400-coded = the gateway refused the request with an app code
gw-400-coded-todo = What the code means and what cures it follow
gw-401 = the gateway wants a valid token
gw-401-todo = Sign in with `stepwise login`, or give a token with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-403 = this stepsID belongs to another device
gw-403-todo = Start again with the carAssociationID
gw-403-refused = the gateway refuses this request
gw-403-refused-todo = Its words say why (an account or a vehicle it does not allow); check the carAssociationID with the customer's account, or ask the gateway's operator
gw-404 = the gateway does not know this id
gw-404-todo = Check the carAssociationID or stepsID and try again
gw-404-steps-id = the gateway has no step for this stepsID: it does not know it, or has forgotten it
gw-404-steps-id-todo = Ask for the list again by carAssociationID (`stepwise steps --car ID`): it gives the vehicle's current stepsID
gw-404-unnamed = nothing was found for this call at this address: an id the gateway does not know, or a path that nothing serves there
gw-404-unnamed-todo = Check the carAssociationID or stepsID; if every id gets this answer, --api does not point at the steps gateway (a router's own 404): check --api
gw-404-call = the gateway refused the next-step call, without code 2346 (its mark of a stepsID it does not know)
gw-call-not-served = the gateway does not serve the next-step call (a method or a call it does not offer), whatever the stepsID
gw-404-call-todo = If `stepwise steps --steps-id ID` lists this vehicle's steps, the id is right and the gateway does not offer the next-step call, or something in front of it does not route it: tell the gateway's operator. That list shows the next step too (marked NEXT)
gw-404-no-steps = the gateway has no steps for this carAssociationID
gw-404-no-steps-todo = Check the carAssociationID; if it is right, this vehicle has no service activation steps at this gateway: ask the gateway's operator why
gw-409 = the gateway refused: an earlier step is not done
gw-409-todo = Complete the earlier steps first
gw-429 = the gateway is limiting requests
gw-408 = the gateway, or something in front of it, gave up waiting for the whole request (a slow or broken connection), which is no refusal
gw-408-todo = Retry; if it persists, tell the gateway's operator (or whoever runs the network in front of it)
gw-429-todo = Wait a minute, then retry
gw-429-todo-past = It still limits after the wait its Retry-After asked (stepwise waited it and asked again): wait a minute, then retry; if it goes on, tell the gateway's operator
gw-429-todo-after = Wait { $secs } s (the answer's Retry-After), then retry
gw-429-todo-absurd = It asks to wait { $wait } (its Retry-After), which no limit of requests needs: its clock or its setting is wrong. Tell the gateway's operator
gw-5xx = the gateway failed
gw-proxy-5xx = the proxy answered with its own error page (the gateway may not have been reached)
gw-5xx-todo = Retry in a minute; if it persists, tell the gateway's operator
gw-5xx-todo-after = Retry in { $secs } s (the answer's Retry-After); if it persists, tell the gateway's operator
gw-5xx-todo-absurd = It asks to wait { $wait } (its Retry-After), which no restart needs: its clock or its setting is wrong. Retry in a minute; if it persists, tell the gateway's operator
gw-other = the gateway refused the request
gw-3xx = no list came back: a redirect without a usable address, or a cache's "not modified" to a request that asked for none
gw-3xx-todo = Something between here and the gateway (a proxy, a cache), or the gateway, is set up wrong: check --api, and tell who runs the network or the gateway
gw-other-todo = Check --api and retry
gw-other-said-todo = Its words say why; if they do not help, tell the gateway's operator
gw-reset-refused = the gateway refused the steps-cache reset
gw-reset-refused-todo = Resetting again will not help. Its words say why: if they say the account or the device is blocked, remove all enrollments in the customer's account and start again; else tell the gateway's operator
gw-reset-refused-conflict-todo = A conflict (HTTP 409) may mean that a reset or a change is already under way for this vehicle: wait a moment, then reset again; if it persists, tell the gateway's operator
gw-reset-refused-call-todo = HTTP { $status } does not say that the account or the device is blocked: the gateway, or something in front of it, did not take the call as it was sent. Check --api; if it is right, tell the gateway's operator, with its words
gw-app-code = App code { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = App code { $code }: { $meaning }.
gw-code = code { $code }
gw-not-a-gateway = { $base } answered HTTP { $status } without a gateway's error body: this address is not a steps gateway (a wrong path in --api, or another web server). Give --api the base URL that pims/subscription/steps sits under, such as https://gateway.example/ or https://host/prefix/
gw-not-a-gateway-listed = { $base } answered HTTP { $status } without a gateway's error body, though lists of other vehicles came from this address in this run: --api is right, and the gateway most likely does not know this id. Check the id; if it is right, tell the gateway's operator (a route in front of it may refuse this one request)
gw-not-a-gateway-proxy = { $base } answered HTTP { $status } through the proxy { $proxy }, without a gateway's error body: the proxy's own page (a host name it could not resolve or reach), or an address that is not a steps gateway. Check the host name in --api, or set NO_PROXY={ $host } if the gateway can be reached without the proxy; if the host is right, give --api the base URL that pims/subscription/steps sits under, such as https://gateway.example/
gw-call-not-offered = { $base } answered HTTP { $status } without a gateway's error body to the call { $call }. If the list by carAssociationID works at this address (`stepwise steps --car ID`), --api is right and the gateway does not offer this call, or something in front of it does not route it: tell the gateway's operator. If it does not, --api is not a steps gateway's base URL: give it the one that pims/subscription/steps sits under, such as https://gateway.example/
gw-not-a-gateway-path = { $base } answered HTTP { $status }: --api holds the call's own path ({ $path }), which stepwise adds itself. Give --api the address before it: { $suggested }
gw-basic-prompt = { $base } asks for a user name and password (HTTP 401, Basic): a web server's or a reverse proxy's login, which stepwise cannot answer; a steps gateway takes a bearer token. Check --api, or ask who runs that server to let the gateway's requests through
gw-windows-prompt = { $base } asks for Windows sign-in (HTTP 401, Negotiate or NTLM): a web server's or a reverse proxy's login, which stepwise cannot answer; a steps gateway takes a bearer token. Check --api, or ask who runs that server to let the gateway's requests through
gw-refused = { $base } answered HTTP { $status }{ $said }{ $via } with no error body in the gateway contract's shape: taken as access refused by something in front of the gateway (a firewall, a web application firewall or a reverse proxy), not as a stepsID refused. Check the token and its rights; if they are right, ask who runs the network whether it blocks this address
gw-refused-no-token = { $base } answered HTTP { $status }{ $said }{ $via } with no error body in the gateway contract's shape: taken as access refused by something in front of the gateway (a firewall, a web application firewall or a reverse proxy), not as a stepsID refused. No token was sent. Where no vehicle gets its list from this gateway without one, the gateway may want one: give it (--token-file PATH, STEPWISE_TOKEN, `stepwise login`, or `stepwise login --with-token` where the gateway offers no sign-in). Where other vehicles get their lists from this gateway without a token, no token is missing: ask who runs the network or the gateway why this vehicle's call is blocked
gw-refused-via-proxy = { $base } answered HTTP { $status }{ $said } through the proxy { $proxy }, without a gateway's error body: the proxy, or something in front of the gateway, refused the request. Ask who runs the proxy whether it lets this address through, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-401-via-proxy = { $base } answered HTTP 401{ $said } through the proxy { $proxy }, a web page, not a gateway's error body: the proxy, a portal in front of it, or something in front of the gateway (a reverse proxy, a web server) wants a sign-in of its own, which no gateway token answers. Sign in to it in a browser on this machine, or ask who runs the proxy and the gateway; or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-401-bare-through-proxy = This answer came through the proxy { $proxy } (from { $from }) as a bare HTTP 401, with no body and no challenge, which the proxy itself may have given: if a token does not get past it, ask who runs the proxy whether it wants a sign-in of its own, or set NO_PROXY={ $host } if the gateway can be reached directly
gw-front-400 = { $base } answered HTTP { $status }{ $said }{ $via } with a web page, without a gateway's error body: something in front of the gateway (a reverse proxy or a web application firewall) refused the request, so the gateway never acted on it. The id is not at fault (stepwise checks it before sending), and --api is right if lists came from it before: ask who runs that address what its page means
gw-front-401 = { $base } answered HTTP 401{ $said } with a web page and no sign-in challenge (no WWW-Authenticate header), where a steps gateway answers with its error body and says how it wants its token: something in front of the gateway (a reverse proxy, a web server or a portal) asks for a login of its own. If lists came from this address without a token before, no gateway token is missing: ask who runs the network or the gateway what asks for this login; otherwise, ask them whether the gateway wants a token there
gw-proxy = the proxy { $proxy } (from { $from }) answered HTTP { $status } itself{ $said }, so the request never reached the gateway. { $todo }
gw-proxy-407-todo = The proxy wants a user name and password: put them in the proxy variable (http://user:password@proxy:port), or set NO_PROXY for the gateway's host if it can be reached directly
gw-proxy-windows-todo = The proxy asks for Windows sign-in (Negotiate or NTLM), which stepwise cannot give: no user name and password in the proxy variable answers it. Ask who runs the proxy to let the gateway's address through without it (or to offer Basic), or set NO_PROXY for the gateway's host if it can be reached directly
gw-proxy-refused-todo = The proxy refused its user name and password: check them in the proxy variable (http://user:password@proxy:port), or ask who runs the proxy
gw-proxy-401-basic-todo = It asks for a user name and password (Basic) at HTTP 401. A proxy that asks so (tinyproxy does) takes them from the proxy variable (http://user:password@proxy:port); a web server's login behind the proxy takes none from it, and stepwise cannot answer it: then ask who runs it, or set NO_PROXY for the gateway's host if it can be reached directly
gw-proxy-401-basic-refused-todo = It asks for a user name and password (Basic) at HTTP 401 although the proxy variable carries some: the proxy refused them (check them, with characters such as @ or : percent-encoded), or the login is a web server's behind the proxy, which takes none from the proxy variable and which stepwise cannot answer. Ask who runs the proxy, or set NO_PROXY for the gateway's host if it can be reached directly
gw-proxy-portal-todo = The proxy, or a portal in front of it, wants a sign-in of its own (a portal's, or a scheme other than Basic), which no user name and password in the proxy variable answers: sign in to it in a browser on this machine, or ask who runs the proxy; or set NO_PROXY for the gateway's host if it can be reached directly
gw-proxy-forbidden-todo = The proxy refuses this request by its own rules (this address, or this client): ask who runs the proxy to let the gateway's address through, or set NO_PROXY for the gateway's host if it can be reached without the proxy
gw-proxy-credentials-refused = the proxy { $proxy } (from { $from }) refused the user name and password in the proxy variable (HTTP 407), so the request never reached the gateway. Check them (http://user:password@proxy:port, with characters such as @ or : in them percent-encoded), or ask who runs the proxy
gw-proxy-5xx-todo = The proxy did not pass this request on. If nothing gets through it to this --api, check that the gateway runs and that --api is right; if other requests do (other vehicles' lists), the proxy fails this one: ask who runs it
gw-proxy-5xx-wait-todo = The proxy did not pass this request on, and asks to wait { $secs } s (its Retry-After): retry after that. If nothing gets through it to this --api, check that the gateway runs and that --api is right; if other requests do (other vehicles' lists), the proxy fails this one: ask who runs it
gw-proxy-loopback = the gateway is on this machine ({ $host }), but { $from } sends its requests to the proxy { $proxy }, which answered HTTP { $status } itself: the request never reached the gateway. The proxy (or one it forwards to) cannot reach this machine's own addresses: set NO_PROXY={ $host } and try again
gw-proxy-loopback-tunnel = the gateway is on this machine ({ $host }), but { $from } sends its requests to the proxy { $proxy }, which did not open a tunnel (CONNECT) to it: the request never reached the gateway. The proxy (or one it forwards to) cannot reach this machine's own addresses: set NO_PROXY={ $host } and try again
gw-proxy-loopback-down = nothing listens at { $host }:{ $port }, the gateway's address on this machine (tried directly): the gateway does not run there, so the proxy { $proxy } (from { $from }) could not reach it either. Check that the gateway runs and that the port in --api is right
gw-proxy-other-todo = Check { $from } (the proxy variable in use), set NO_PROXY for the gateway's host if it can be reached without the proxy, or ask who runs the proxy
gw-proxy-429-todo = The proxy is limiting requests: wait a few minutes (its Retry-After, if it gave one), then retry; if it goes on, ask who runs the proxy
gw-proxy-429-wait-todo = The proxy is limiting requests and asks to wait { $secs } s: retry after that; if it goes on, ask who runs the proxy
gw-proxy-unset-407 = a proxy of this network answered HTTP { $status } itself{ $said }, though none is set here, so the request never reached the gateway. Set HTTPS_PROXY (HTTP_PROXY for an http:// gateway) to http://user:password@proxy:port with that proxy's address, or ask the network's administrator
gw-proxy-unreachable = cannot connect to the proxy { $proxy } (from { $from }): { $detail }. The gateway was not asked. Check the proxy variable, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-proxy-silent = the proxy { $proxy } (from { $from }) opened no way to { $host } within { $secs } s: it took no connection, or took one and never answered. The gateway was not asked. Check that the proxy runs and that the proxy variable names it, ask who runs the proxy, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-proxy-tunnel = the proxy { $proxy } (from { $from }) did not open a tunnel (CONNECT) to { $host }, so the request never reached the gateway: it refuses this host and port, or it could not reach the gateway (down, or a name the proxy does not know). Check that the gateway runs and that the host in --api is right, ask who runs the proxy whether it lets this host and port through, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-proxy-no-tunnel = what { $from } names, { $proxy }, answered HTTP { $status } to CONNECT: it opens no tunnels at all, so it is a web server, or a proxy that cannot carry https://. The gateway was not asked. Check { $from }: it must name an HTTP proxy that tunnels https (often port 3128 or 8080)
gw-proxy-tunnel-closed = the proxy { $proxy } (from { $from }) opened a tunnel to { $host }, then it was closed during the TLS handshake: the proxy, or what is behind it, cut it. Ask who runs the proxy whether it lets TLS to this host through, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
tls-or-plain-http = Or the gateway at the end speaks plain HTTP on that port, while --api says https://: then use http:// in --api (`stepwise doctor` without the proxy, NO_PROXY={ $host }, tells which)
gw-proxy-garbled = what came back through the proxy { $proxy } (from { $from }) is no HTTP: the proxy variable may name something that is no HTTP proxy, or the proxy is broken. Check the proxy variable, ask who runs the proxy, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-proxy-empty = the answer that came through the proxy { $proxy } (from { $from }) is empty, where a JSON steps list was expected: the proxy may have answered itself, or passed on an empty answer. Check the proxy variable, ask who runs the proxy, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-proxy-html = what came through the proxy { $proxy } (from { $from }) is an HTML page, where a JSON steps list was expected: the proxy's own page (a login or portal page), or a web server at --api. Set NO_PROXY={ $host } if the gateway can be reached without the proxy; else check that --api points at a steps gateway
gw-proxy-no-list = what came through the proxy { $proxy } (from { $from }) is no steps list: { $why }. The proxy may have answered itself, or what answers at --api is no steps gateway. Set NO_PROXY={ $host } if the gateway can be reached without the proxy; if lists came from this --api before, ask who runs the proxy what it answered; if not, check that --api points at a steps gateway
gw-proxy-too-large = what came through the proxy { $proxy } (from { $from }) is larger than { $kib } KiB and was not read further: no steps list is that large. The proxy may have answered itself, or what answers at --api is no steps gateway. Set NO_PROXY={ $host } if the gateway can be reached without the proxy; if lists came from this --api before, ask who runs the proxy what it answered; if not, check that --api points at a steps gateway
gw-proxy-closed = the proxy { $proxy } (from { $from }) closed the connection without an answer, so it is not known whether the gateway was asked. Retry; if it persists, ask who runs the proxy, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-proxy-connect-closed = the proxy { $proxy } (from { $from }) closed the connection without answering the request for a tunnel (CONNECT) to { $host }, so the gateway was not asked. Retry; if it persists, ask who runs the proxy whether it lets this host through, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
gw-401-none = HTTP 401: the gateway wants a token, and none was sent. Sign in with `stepwise login`, or give a token with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-401-expired = The token expired { $ago } ago, by the expiry written in it: that is why it is refused
gw-401-said = The gateway says: “{ $said }”
gw-401-none-no-signin = HTTP 401: the gateway wants a token, and none was sent. It offers no sign-in: its token comes from whoever runs it. Keep that token with `stepwise login --with-token`, or give it with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-404-demo = HTTP 404: the demo backend does not know this id{ $said }. No gateway is configured (no --api, STEPWISE_API or `api` in the config file), so the embedded demo answered, and it knows only { $ids }. To ask your gateway, give --api URL
gw-404-demo-steps-id = HTTP 404: the demo backend does not know this stepsID{ $said }. No gateway is configured (no --api, STEPWISE_API or `api` in the config file), so the embedded demo answered. Its stepsIDs come with a list asked by carAssociationID (it knows { $ids }): `stepwise steps --car ID` gives one. To ask your gateway, give --api URL
gw-404-demo-wizard = HTTP 404: the demo backend does not know this id{ $said }. No gateway is configured (no --api, STEPWISE_API or `api` in the config file), so the embedded demo answered; the ids it knows are offered on the start screen. To ask your gateway, quit and start again with --api URL
gw-404-demo-board = HTTP 404: the demo backend does not know this id{ $said }. No gateway is configured (no --api, STEPWISE_API or `api` in the config file), so the embedded demo answered, and it knows only its own vehicles (`stepwise demo --board` opens a board of them all). To ask your gateway, quit and start again with --api URL
gw-404-demo-command = HTTP 404: the demo backend does not know this id{ $said }. `stepwise demo` always runs on the embedded demo, which knows only its own ids (those it offers). To ask your gateway, quit and run `stepwise --api URL --car ID`, or `stepwise fleet --api URL --cars FILE` for a board
gw-401-login-unreadable = HTTP 401: the gateway wants a token, and none was sent: the logins kept by `stepwise login` could not be read: { $why }. Or give a token with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-401-login-damaged = HTTP 401: the gateway wants a token, and none was sent: { $why }, then run `stepwise login` to sign in again. Or give a token with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
gw-401-config-no-signin = HTTP 401: the gateway refused the token from the config file (`token` or `token_file`). It offers no sign-in: its token comes from whoever runs it. Put this gateway's current token there
gw-401-environment-no-signin = HTTP 401: the gateway refused the token in STEPWISE_TOKEN. It offers no sign-in: its token comes from whoever runs it. Set STEPWISE_TOKEN to this gateway's current token
gw-401-token-file-no-signin = HTTP 401: the gateway refused the token from --token-file. It offers no sign-in: its token comes from whoever runs it. Put this gateway's current token in that file
gw-401-token-file = HTTP 401: the gateway refused the token from --token-file. Put this gateway's current token in that file, or leave --token-file out and sign in with `stepwise login`
gw-401-token-file-login-kept = HTTP 401: the gateway refused the token from --token-file, which wins over the login kept for this gateway. Leave --token-file out to use that login (the gateway took it just now), or put this gateway's current token in that file
gw-401-token-file-login-refused = HTTP 401: the gateway refused the token from --token-file, and the login kept for this gateway too (tried just now). Put this gateway's current token in that file; the kept login needs renewing as well (`stepwise login`, or `stepwise login --with-token` where the gateway offers no sign-in)
gw-401-environment = HTTP 401: the gateway refused the token in STEPWISE_TOKEN. Set it to this gateway's current token, or unset it and sign in with `stepwise login`
gw-401-environment-login-kept = HTTP 401: the gateway refused the token in STEPWISE_TOKEN, which wins over the login kept for this gateway. Unset STEPWISE_TOKEN to use that login (the gateway took it just now), or set it to this gateway's current token
gw-401-environment-login-refused = HTTP 401: the gateway refused the token in STEPWISE_TOKEN, and the login kept for this gateway too (tried just now). Set STEPWISE_TOKEN to this gateway's current token; the kept login needs renewing as well (`stepwise login`, or `stepwise login --with-token` where the gateway offers no sign-in)
gw-401-config = HTTP 401: the gateway refused the token from the config file (`token` or `token_file`). Put this gateway's current token there, or remove it and sign in with `stepwise login`
gw-401-login = HTTP 401: the gateway refused the token of the login kept by `stepwise login`. Sign in again with `stepwise login`; for a gateway that takes a fixed token, keep its current one with `stepwise login --with-token`
gw-token-dropped = HTTP 401: the gateway answers as if no token reached it (its challenge names no error), though the token from { $from } went out through the proxy { $proxy }: the proxy may drop the Authorization header, so any token would be refused the same. Set NO_PROXY={ $host } if the gateway can be reached without the proxy, or ask who runs the proxy to pass the Authorization header
gw-401-login-expired = HTTP 401: the token of the login kept by `stepwise login` expired { $ago } ago, and the identity provider gave no refresh token to renew it: that is why the gateway refuses it. Sign in again with `stepwise login`
gw-401-login-no-signin = HTTP 401: the gateway refused the token kept by `stepwise login --with-token`. It offers no sign-in: its token comes from whoever runs it. Ask them for its current token and keep that with `stepwise login --with-token`
gw-wants-tls = the server at { $base } speaks TLS, but --api says http://. Use https:// in --api
gw-port-plain-http = the server at { $base } speaks plain HTTP, not TLS: --api says https://. Use http:// in --api, or the port where it serves HTTPS
gw-port-not-http = the server at { $base } speaks neither HTTP nor TLS (it began "{ $said }"): the port in --api is another service's. Check the port
gw-port-not-http-here = the server at { $base } answered this request with something that is neither HTTP nor TLS: a broken server, or not the gateway. Check --api
gw-port-tls-closed = the server at { $base } took the connection, then closed it during the TLS handshake: it may not speak TLS on this port, or it refuses this client. Check the port in --api; `stepwise doctor` says more
gw-port-tls-silent = the server at { $base } took the connection but gave no TLS handshake within { $secs } s: the port may not speak TLS, or the server is hung. Check the port in --api; if it is right, tell the gateway's operator
gw-redirects = the gateway at { $base } sends redirects in a loop, or too many of them. Check --api (the address may have moved); if it is right, tell the gateway's operator
gw-connect-timed-out = no connection to { $base } within { $secs } s: nothing accepted it (the server is overloaded, or a firewall drops the packets). Check the network and --api, then retry
gw-title-not-a-gateway = Not a steps gateway
gw-title-no-list-here = No list for this id
gw-title-call-not-offered = Call not offered
gw-title-refused = Access refused
gw-title-captive-portal = Network sign-in needed
gw-title-proxy = The proxy answered
gw-title-proxy-unreachable = Proxy unreachable
gw-title-token-refused = Token refused
gw-title-scope = Scope missing
gw-title-redirects = Redirect loop
steps-many-summary-late = no list within { $secs } s (not answered, or not asked yet: stderr says which): { $n } ({ $ids })
steps-many-summary-failed = failed: { $n } ({ $ids }), the causes are on stderr
steps-many-summary = Vehicles listed: { $listed } of { $total }
cli-shared-steps-id = one stepsID ({ $id }) came for { $count } vehicles ({ $cars }). A stepsID belongs to one vehicle: a proxy or cache between here and the gateway (one that ignores the query), or the gateway itself, mixes up answers, so these lists may be another vehicle's. Do not rely on them; tell the gateway's operator (and the network's administrator, where a proxy is set)
steps-many-late = no answer within the deadline of { $secs } s (--deadline); it may answer on a later run
steps-many-unsent = not asked before the deadline of { $secs } s (--deadline): it waited its turn, as vehicles are asked a few at a time (--concurrency). Give a longer --deadline, or a higher --concurrency
steps-many-unsent-hung = not asked before the deadline of { $secs } s (--deadline): the vehicles asked before it got no answer (the gateway is busy or hung), so a longer --deadline or a higher --concurrency only sends more requests into the same wait. Run it again when the gateway answers (`stepwise doctor` checks it); if it stays so, tell the gateway's operator
steps-many-limited = the gateway kept limiting requests (HTTP 429) until the deadline of { $secs } s (--deadline): it answered, but asked to wait. If the wait it asked for (said on stderr) is longer than { $secs } s, give a --deadline longer than that wait; if not, it keeps limiting this client: retry later, or ask the gateway's operator about its limit
steps-many-limited-longer = the gateway limited requests (HTTP 429) until the deadline of { $secs } s (--deadline): it asked to wait { $wait } s, longer than the deadline. Give a --deadline above { $wait } s, or run it again after that wait
steps-many-limited-again = the gateway kept limiting requests (HTTP 429) until the deadline of { $secs } s (--deadline): after the { $wait } s it asked to wait, it limited them again. It keeps limiting this client: retry later, or ask the gateway's operator about its limit
steps-many-held-unsent = not asked: the gateway's limit (HTTP 429, answered to another request) held every request back until the deadline of { $secs } s (--deadline). If the wait it asked for (said on stderr) is longer than { $secs } s, give a --deadline longer than that wait; if not, it keeps limiting this client: retry later, or ask the gateway's operator about its limit
steps-many-retry-held = Its retry was then held back by the gateway's limit (HTTP 429, asked of another request) until the deadline of { $secs } s (--deadline).
steps-many-paused = The gateway's limit (HTTP 429, asked of another request) holds every request for { $secs } s more: retry after that.
steps-many-summary-limited = held back by HTTP 429 until { $secs } s: { $n } ({ $ids })
steps-many-summary-shared = under a stepsID another vehicle's list came under too, not to be relied on (stderr says why): { $n } ({ $ids })
gw-title-unreachable = Gateway unreachable
gw-title-timed-out = Gateway timed out
gw-title-timed-out-proxy = No answer through the proxy
gw-title-bad-request = Request refused
gw-title-unauthorized = Token needed
gw-title-wrong-device = stepsID of another device
gw-title-forbidden = Refused by the gateway
gw-title-not-found = Unknown id
gw-title-no-steps = No steps
gw-title-conflict = Out of order
gw-title-reset-refused = Reset refused
gw-title-too-many = Too many requests
gw-title-server-failure = Gateway failure
gw-title-failed = Request failed
gw-title-too-large = Answer too large
gw-title-bad-answer = Unusable answer
gw-title-config = Bad configuration
gw-title-tls = Secure connection failed
gw-title-live = Live stream broken
gw-title-live-contradicted = Live stream contradicts the lists
gw-title-live-left-out = Live stream leaves out lists
gw-title-live-refused = Live stream refused
gw-title-live-not-offered = Live stream no longer offered
gw-title-live-page = Live stream answered by a web page
gw-title-live-compressed = Live stream compressed
gw-title-token-dropped = Token lost on the way

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(through the proxy { $proxy })
tls-unknown-issuer = the gateway at { $base }{ $via } presented a certificate from an unknown issuer (a private authority, or a proxy that inspects TLS). Trust that authority with --ca-file FILE (its certificate, PEM), or STEPWISE_CA_FILE; if one is given already, it is not the authority that signed this certificate (a server certificate instead of its authority, or an authority made again since): take the gateway's current authority certificate. Or the gateway does not send the intermediate authority that links its certificate to that authority (stepwise doctor tells)
tls-expired = the certificate of the gateway at { $base } has expired. Check this machine's date; if it is right, tell the gateway's operator
tls-not-yet-valid = the certificate of the gateway at { $base } is not valid yet. Check this machine's date and time; if they are right, tell the gateway's operator
tls-wrong-host = the certificate of the gateway at { $base } is not made for { $host }. Use in --api the host name or address the certificate was made for
tls-wrong-host-names = the certificate of the gateway at { $base } is made for { $names }, not for { $host }. Use one of those in --api, or have the gateway's certificate made for { $host }
tls-no-host-names = the certificate of the gateway at { $base } names no host (no subject alternative name; a common name alone is no longer read by TLS). No --api can fix it: have the certificate reissued with the host name as a subject alternative name
tls-old-version = the certificate of the gateway at { $base } is an X.509 version 1 certificate, which TLS no longer takes. No --api, --ca-file or client certificate can fix it: have the certificate reissued as version 3, with the host name as a subject alternative name
tls-certificate-required = the gateway at { $base } requires a client certificate. Give one with --client-cert FILE --client-key FILE
tls-client-refused = the gateway at { $base } refused the client certificate ({ $alert }). Use a certificate issued by the authority the gateway trusts; `stepwise doctor` also checks its dates
tls-client-expired = the gateway at { $base } says the client certificate has expired. Ask whoever issued it for a new one (--client-cert, --client-key), and check this machine's date
tls-client-unsupported = the gateway at { $base } refused the client certificate as unsupported: most often it is not made for a client (a server's certificate, whose key usage lacks client authentication). Use a certificate issued for client authentication (--client-cert, --client-key)
tls-authority-as-server = the gateway at { $base } presents an authority's certificate (CA:TRUE) as its own server certificate, which TLS does not accept. Tell the gateway's operator to serve a server certificate signed by that authority; the authority's certificate is the one for --ca-file
tls-handshake-refused = the gateway at { $base }{ $via } refused the TLS handshake ({ $alert }). Check --api; if it is right, tell the gateway's operator
tls-not-tls = the server at { $base }{ $via } does not speak TLS. Check the port, or use http:// if the gateway has no TLS
tls-not-tls-proxy = through the proxy { $proxy }, what came back for { $base } is no TLS: the proxy, or a filter behind it, answered in the gateway's place (a block page, an inspection). Ask who runs the proxy whether it lets TLS to this host through, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
tls-other = the TLS connection to the gateway at { $base }{ $via } failed: { $what }. Check --api, --ca-file and the client certificate
gw-title-sign-in-again = Sign in again
gw-title-client-refused = Client id refused
gw-title-tokens-not-taken = Tokens not accepted
gw-title-sign-in-failed = Sign-in failed
gw-title-renewal-failed = Token renewal failed

## A failed sign-in or refresh

auth-denied = the sign-in was refused (access_denied) for the scopes { $scopes }. If nobody refused it in the browser, the provider wants other scopes: ask its operator which, set them with --scope or `scopes` in the config file, and run `stepwise login` again
auth-denied-said = the sign-in was refused (access_denied) for the scopes { $scopes }, and the identity provider says why: { $said }. If that names the account (a group, a role), ask the provider's administrator to let it sign in to stepwise; if it names scopes, set them with --scope or `scopes` in the config file, and run `stepwise login` again
auth-expired = the code expired before it was approved. Run `stepwise login` again and approve it sooner
auth-sign-in-again = { $why }. Run `stepwise login` to sign in again
auth-client-refused-then = { $why }; then sign in with it: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; then sign in with it: `stepwise login --audience URI`
auth-unreachable = cannot reach the identity provider at { $url }: { $detail }. Check the network, then retry; if it persists, check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator (its sign-in metadata names this provider)
auth-proxy-407 = the proxy { $proxy } (from { $from }) answered the sign-in call to { $url } with 407 itself: the identity provider was not asked. The proxy wants a user name and password: put them in the proxy variable (http://user:password@proxy:port), or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-407-refused = the proxy { $proxy } (from { $from }) refused the user name and password of its variable for the sign-in call to { $url } (407): the identity provider was not asked. Check the user name and password in the proxy variable, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-401-basic = the proxy { $proxy } (from { $from }) answered the sign-in call to { $url } with HTTP 401 and a login (Basic) itself: the identity provider was not asked. A proxy that asks so (tinyproxy does) takes a user name and password from the proxy variable (http://user:password@proxy:port); or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-401-basic-refused = the proxy { $proxy } (from { $from }) answered the sign-in call to { $url } with HTTP 401 and a login (Basic) itself, although the proxy variable carries a user name and password: it refused them, and the identity provider was not asked. Check them in the proxy variable (characters such as @ or : percent-encoded), or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-windows = the proxy { $proxy } (from { $from }) answered the sign-in call to { $url } with 407 itself, asking for Windows sign-in (Negotiate or NTLM), which stepwise cannot give: the identity provider was not asked, and no user name and password in the proxy variable answers it. Ask who runs the proxy to let { $host } through without it, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-answered = the sign-in call to { $url } went through the proxy { $proxy } (from { $from }) and came back HTTP { $status }{ $said } with no answer of the identity provider's: the proxy, or something in front of the provider, answered itself. Ask who runs the proxy whether it lets { $host } through, or set NO_PROXY={ $host } if the provider can be reached without the proxy (one on this machine always can)
auth-proxy-429 = the sign-in call to { $url } went through the proxy { $proxy } (from { $from }), which answered HTTP 429{ $said } itself: the proxy is limiting requests. Wait a minute, then retry; if it goes on, ask who runs the proxy, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-429-wait = the sign-in call to { $url } went through the proxy { $proxy } (from { $from }), which answered HTTP 429{ $said } itself: the proxy is limiting requests and asks to wait { $secs } s. Retry after that; if it goes on, ask who runs the proxy, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-5xx = the sign-in call to { $url } went through the proxy { $proxy } (from { $from }), which answered HTTP { $status }{ $said } itself: it let the call through and got no answer from { $host } (down, or out of the proxy's reach). Retry later; if it persists, ask who runs { $host } or the proxy, or set NO_PROXY={ $host } if { $host } can be reached without the proxy
auth-proxy-5xx-loopback = the sign-in call to { $url } went through the proxy { $proxy } (from { $from }), which answered HTTP { $status }{ $said } itself: the identity provider { $host } is on this machine, which a proxy elsewhere cannot reach, so retrying gets the same. Set NO_PROXY={ $host } (a provider on this machine is always reached without the proxy)
auth-proxy-closed = the proxy { $proxy } (from { $from }) closed the sign-in call to { $url } without an answer: it is not known whether the identity provider was asked. Retry; if it persists, ask who runs the proxy, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-unreachable = cannot connect to the proxy { $proxy } (from { $from }) for the sign-in call to { $url }: nothing answers at the proxy's address, so nothing was asked. Check the proxy variable (host and port), or set NO_PROXY={ $host } if the address can be reached without the proxy
auth-proxy-silent = no answer in time to the sign-in call to { $url } through the proxy { $proxy } (from { $from }): the proxy, or the identity provider behind it, is silent. Retry later; if it persists, ask who runs the proxy, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-garbled = what came back through the proxy { $proxy } (from { $from }) for the sign-in call to { $url } is no valid HTTP: the proxy is broken, or its variable names something that is no HTTP proxy. Check the proxy variable, ask who runs the proxy, or set NO_PROXY={ $host } if the provider can be reached without the proxy
auth-proxy-tunnel = the proxy { $proxy } (from { $from }) did not open a tunnel (CONNECT) to { $host } for the sign-in call to { $url }: nothing was asked there. Ask who runs the proxy whether it lets { $host } through, or set NO_PROXY={ $host } if it can be reached without the proxy
auth-fronted = the sign-in call to { $url } was refused with HTTP { $status }{ $said } and a page, not the identity provider's answer (its errors are JSON): something in front of the provider (a firewall, a web application firewall, or a reverse proxy or its login) refused it. Retrying or signing in again gets the same: ask whoever runs the network or the identity provider whether it lets this call through
auth-no-endpoint = the sign-in call to { $url } was answered HTTP { $status } without an OAuth error: no endpoint answers there (an API gateway in front of the identity provider answers so for a route it does not have, or the provider moved it). Tell whoever runs the identity provider or the gateway; retrying gets the same, and a new sign-in helps only if the provider's metadata now names another address
auth-fronted-gone = the sign-in call to { $url } was answered HTTP { $status }{ $said } with a page, not the identity provider's answer (its errors are JSON): nothing serves that address, or something in front of the provider answers for it. The identity provider's metadata still names it, so retrying or signing in again gets the same: tell whoever runs the identity provider or the gateway
auth-fronted-page = the sign-in call to { $url } was answered HTTP { $status }{ $said } with a web page, not the identity provider's JSON: something in front of the provider (a portal, a reverse proxy or its login page) answered in its place. Ask whoever runs the network or the identity provider whether it lets this call through
auth-no-answer = the identity provider at { $url } took the connection but did not answer in time: it is busy or hung. Retry later; if it persists, tell whoever runs it
auth-not-tls = the identity provider at { $url } does not speak TLS: check the port in the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file), or use http:// there if the provider has no TLS
auth-tls-unknown-issuer = the identity provider at { $url } presented a certificate from an unknown issuer (a private authority, or a proxy that inspects TLS). Trust its authority with --ca-file FILE (its certificate, PEM), which you get from whoever runs the provider; if --issuer (or `issuer` in the config file) is wrong, correct it
auth-tls-wrong-host = the certificate of the identity provider at { $url } is not made for its host. Check --issuer (or `issuer` in the config file); if it is right, tell whoever runs the provider
auth-tls-dates = the certificate of the identity provider at { $url } has expired or is not valid yet. Check this machine's date and time; if they are right, tell whoever runs the provider
auth-tls-other = the TLS connection to the identity provider at { $url } failed ({ $code }). Check --issuer (or `issuer` in the config file); if it is right, tell whoever runs the provider
auth-tls-old-version = the identity provider at { $url } presented an X.509 version 1 certificate, which TLS no longer takes. No --issuer or --ca-file can fix it: ask whoever runs the provider to reissue it as version 3, with its host name as a subject alternative name
auth-tls-no-host-names = the certificate of the identity provider at { $url } names no host (no subject alternative name; a common name alone is no longer read by TLS). No --issuer or --ca-file can fix it: ask whoever runs the provider to reissue it with its host name as a subject alternative name
auth-answered-badly = the identity provider's address { $url } was reached, but { $detail }. Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
auth-closed = the identity provider's address { $url } took the call and closed the connection without answering: the provider may be restarting or overloaded, or something between cut it. Retry; if it persists, check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator

## Signing in: stepwise login, logout and auth status in a plain terminal

login-title = Sign in to { $gateway }
login-open = Open { $address } and enter this code:
login-scan = Or scan this QR code with a phone:
login-qr-no-room = (A larger window shows a QR code of the address.)
login-press-enter = Press Enter to open the address in the browser.
login-waiting = Waiting for the approval (the code expires in { $left }; Ctrl-C cancels)…
err-login-output-closed = the sign-in code could not be shown: standard output is closed or thrown away (a pipe that stopped reading, such as `| head -1`, a closed descriptor, or /dev/null), so no one can approve it. Nothing was kept; run `stepwise login` again with its output on a terminal or in a file
err-login-output-unwritable = the sign-in code could not be shown: standard output could not be written ({ $why }), so no one can approve it. Nothing was kept; run `stepwise login` again with its output on a terminal or in a file that can be written
login-poll-limited = The identity provider asks to wait (HTTP 429, too many requests): the approval is checked again in { $secs } s. The code stays valid meanwhile.
login-browser-opened = Handed the address to the browser (if no browser shows it, open the address above yourself).
login-browser-failed = Cannot open a browser ({ $why }); open the address by hand.
login-signed-in = Signed in to { $gateway }.
login-token-expired-kept = Note: by the expiry written in it, this token expired at { $time }; the gateway took it now, but may refuse it any time. Ask for its current token
login-token-untried-why = Token kept for { $gateway }, but not tried: { $why }. If that address is wrong, fix --api (or `api` in the config file) and keep the token again; else the gateway says whether it takes it at the next call (`stepwise steps --car ID`).
login-token-untried-silent = Token kept for { $gateway }, but not tried: the gateway took the connection and did not answer within { $secs } s (busy or hung). Check that it runs and answers; the gateway says whether it takes the token at the next call (`stepwise steps --car ID`).
login-token-untried-proxy = Token kept for { $gateway }, but not tried: { $why }. Once the proxy lets the request through (or NO_PROXY skips it), the gateway says whether it takes the token at the next call (`stepwise steps --car ID`).
login-token-unjudged = Token kept for { $gateway }, but the answer to it did not say whether the gateway takes it: { $why }. The gateway says so at the next call (`stepwise steps --car ID`).
err-login-not-a-gateway = Token not kept: { $why }
err-signin-not-a-gateway = Not signed in: this address publishes no sign-in, and its steps call shows why: { $why }
login-token-taken = Token kept for { $gateway }: the gateway took it.
login-token-not-checked = Token kept for { $gateway }, but the gateway answered without a token as well: it needs none here, so whether it takes this one cannot be told. It is sent with every call all the same; `stepwise logout` forgets it.
login-expires = The token expires at { $time }; it is refreshed before then.
login-kept = The token is kept in { $place }.
login-environment-wins = Note: STEPWISE_TOKEN is set here, and its token wins over this login in every command. Unset STEPWISE_TOKEN to use the login.
login-file-notice = Note: no keyring answered on this machine, so the token is kept in a file only you can read (mode 0600). `stepwise logout` removes it.
login-file-notice-windows = Note: no keyring answered on this machine, so the token is kept in a file in your own %LOCALAPPDATA% folder, which Windows lets only you (and the PC's administrators) read. `stepwise logout` removes it.
login-file-chosen = Note: the token is kept in the file, not in a keyring, because STEPWISE_TOKEN_STORE=file asks for it. `stepwise logout` removes it.
login-keyring-too-small = Note: the token is too long for { $name } (at most { $max } bytes per entry), so it is kept in a file only you can read instead. `stepwise logout` removes it.
login-paste = Paste the token for { $gateway } and press Enter (it is not shown; Esc or Ctrl-C cancels):
place-keyring = the keyring ({ $name })
place-file = the file { $path }
logout-none = No login was kept for { $gateway }; nothing to remove.
logout-done = Signed out of { $gateway }: the token was removed from { $place }.
logout-still-given = A token from { $from } is still given and still used.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = the kept login
token-from-config = the config file
status-gateway = Gateway:   { $gateway }
status-login-kept = Login:     kept in { $place }
status-login-file-private = (readable only by you)
status-login-file-open = (readable by other users of this machine: mode { $mode }; run `chmod 600 { $path }`)
status-login-none = Login:     none kept (`stepwise login` signs in where the gateway offers sign-in; `stepwise login --with-token` keeps a fixed token)
status-login-kept-unused = Login:     kept in { $place }, not in use: the token from { $from } wins over it
# A duration, days to seconds: each part that is not zero, joined by spaces ("1d 2h 3m 4s").
duration-days = { $n }d
duration-hours = { $n }h
duration-minutes = { $n }m
duration-seconds = { $n }s
status-expires = Expires:   { $time } (in { $left })
status-expires-renewed = Expires:   { $time } (in { $left }; renewed just now)
status-expired-refreshable = Expires:   expired at { $time }; a new token is fetched on next use
status-renewal-failed = Renewal:   tried just now, and failed: { $why }
status-expired = Expires:   expired at { $time }
status-expires-ended = Expires:   { $time } (no longer usable: the identity provider ended the login)
status-expires-unknown = Expires:   not known (a token given by hand)
status-expires-unknown-provider = Expires:   not known (the identity provider gave no usable expiry)
status-refresh-auto = Refresh:   automatic, before it expires
status-refresh-ended = Refresh:   none: the identity provider ended the login just now (the Renewal line says how). Run `stepwise login`
status-refresh-failing = Refresh:   automatic, but the renewal just now failed (the Renewal line says why); the next use asks again
status-refresh-none = Refresh:   not possible; sign in again when it stops working
status-refresh-fixed = Refresh:   not possible (a token given by hand); when it stops working, keep the gateway's current token with `stepwise login --with-token`
status-in-use-login = In use:    the kept login
status-in-use-dropped = In use:    the token from { $from }, but it did not reach the gateway: { $why }
status-in-use-login-refused = In use:    the kept login, but the gateway refused its token just now (HTTP 401): the next call renews it once; if the gateway refuses that too, sign in again with `stepwise login`
status-in-use-login-refused-fresh = In use:    the kept login, but the gateway refused its token just now (HTTP 401), and the one renewed at once too: { $why }
status-in-use-login-refused-fixed = In use:    the kept login, but the gateway refused its token just now (HTTP 401): sign in with `stepwise login` where the gateway offers sign-in; else ask whoever runs it for its current token, and keep that with `stepwise login --with-token`
status-in-use-spent = In use:    nothing usable: the kept login expired. Run `stepwise login`
status-in-use-renewing = In use:    the kept login, once the identity provider renews its token: the renewal failed for now (the Renewal line says why); a new sign-in would meet the same provider
status-in-use-spent-fixed = In use:    nothing usable: the token kept by hand (login --with-token) expired. Keep the gateway's current token with `stepwise login --with-token`
status-in-use-ended = In use:    nothing usable: the identity provider ended the kept login. Run `stepwise login`
status-in-use-client = In use:    nothing usable: the identity provider does not take the kept login's client id. Sign in with the one it knows: `stepwise login --client-id ID`
status-in-use-other = In use:    a token from { $from } (it wins over a kept login)
status-in-use-not-tried = not tried: the gateway could not be asked whether it takes it: { $why }
status-in-use-other-expired = In use:    a token from { $from } (it wins over a kept login), but it expired at { $time }, by the expiry written in it: put a current one there, or remove it to use a kept login
status-in-use-other-refused = In use:    a token from { $from } (it wins over a kept login), but the gateway refused it just now (HTTP { $status }): put the gateway's current token there, or remove it to use a kept login
status-in-use-other-scope = In use:    a token from { $from } (it wins over a kept login), but the gateway says it lacks the scope { $scope } (HTTP { $status }): ask whoever gives the gateway's tokens for one with that scope
status-in-use-config = In use:    a token from { $from } (a kept login, from `stepwise login`, would win over it)
status-in-use-config-refused = In use:    a token from { $from } (a kept login, from `stepwise login`, would win over it), but the gateway refused it just now (HTTP { $status }): put the gateway's current token there, or keep one with `stepwise login` (or `stepwise login --with-token`), which wins over it
status-in-use-config-expired = In use:    a token from { $from } (a kept login, from `stepwise login`, would win over it), but it expired at { $time }, by the expiry written in it: put a current one there, or keep one with `stepwise login` (or `stepwise login --with-token`), which wins over it
status-in-use-config-scope = In use:    a token from { $from } (a kept login, from `stepwise login`, would win over it), but the gateway says it lacks the scope { $scope } (HTTP { $status }): ask whoever gives the gateway's tokens for one with that scope
signin-asking = Asking for a sign-in code: the gateway names its identity provider, which gives the code…
signin-waiting = Waiting for the approval (the code expires in { $left }). Esc cancels; the vehicle session stays.
signin-no-browser = No browser can be opened here (no graphical session). On a phone or another computer, open the address above (or scan its QR code) and enter the code.
signin-no-browser-no-qr = No browser can be opened here (no graphical session). On a phone or another computer, open the address above and enter the code.
signin-no-browser-local = No browser can be opened here (no graphical session), and the address above is on this machine only (loopback), so another device cannot open it either. Esc cancels; then keep a token with `stepwise login --with-token`, or start the wizard on this machine's own screen.
signin-browser-failed = The browser did not open ({ $why }). On a phone or another computer, open the address above (or scan its QR code) and enter the code.
signin-browser-failed-no-qr = The browser did not open ({ $why }). On a phone or another computer, open the address above and enter the code.
status-in-use-none = In use:    no token. Run `stepwise login` (`stepwise login --with-token` where the gateway offers no sign-in), or give one with --token-file or STEPWISE_TOKEN
status-in-use-none-fixed = In use:    no token, and the gateway wants one. It offers no sign-in: its token comes from whoever runs it. Keep that token with `stepwise login --with-token`, or give it with --token-file or STEPWISE_TOKEN
status-in-use-none-needed = In use:    no token, and none needed: the gateway at { $gateway } answered without one. Run `stepwise steps --car ID` as it is
status-in-use-none-unasked = In use:    no token; whether the gateway at { $gateway } wants one could not be asked: { $why }. Once it answers, `stepwise auth status` says whether it wants one
status-unasked-no-client = the call could not be made with the network settings given (stepwise steps says which)
status-login-trouble = Login:     { $why }
status-in-use-trouble = In use:    no token: the kept login cannot be read (see the line above)

## Step guidance: what each step is for, what the customer needs at hand and does.
## -needs and -does hold one item per line.

step-trusterPhoneNumber-title = Trusted phone number
step-trusterPhoneNumber-purpose = Registers the phone number the account will trust for security codes. It must be done before the device can be activated.
step-trusterPhoneNumber-needs =
    The phone whose number will be trusted, switched on and able to receive SMS
    The customer's app, logged in to their account
step-trusterPhoneNumber-does =
    In the app, enter or confirm the phone number to trust.
    Wait for the SMS with a code on that number (it can take a minute).
    Type the code from the SMS into the app's code field and confirm.
    If the code is refused or too old, ask the app for a new one and try again.

step-deviceActivation-title = Device activation
step-deviceActivation-purpose = Enrolls this phone for strong authentication: the phone is what the customer has, the PIN is what they know.
step-deviceActivation-needs =
    The phone being activated, with the trusted number able to receive SMS
    The customer's PIN if they already set one, or a new PIN they will remember
    A working data connection on the phone
step-deviceActivation-does =
    Start device activation in the app and wait for the enrollment SMS on the trusted number.
    Enter the SMS code in the app when asked (the code field, not the PIN field).
    Enter the existing PIN, or create a new one if the app asks for it.
    If the account is blocked (too many devices or SMS activations), remove unused enrollments and start again.
    If the PIN is blocked after too many wrong tries, reset the PIN from the app, then activate again.

step-mediumCarKey-title = CarKey check
step-mediumCarKey-purpose = Proves the customer really holds the vehicle's keys. It only has to be done once.
step-mediumCarKey-needs =
    The phone already paired with the vehicle over Bluetooth
    The vehicle's keys, with the customer sitting inside the vehicle
    Location and Bluetooth both switched on in the phone's settings
step-mediumCarKey-does =
    Sit in the vehicle with the keys and the phone.
    Check that Location and Bluetooth are on and the phone shows the vehicle as paired.
    Start the CarKey check in the app and follow its prompts about the key.
    Stay in the vehicle until the app says the check succeeded.

step-generic-purpose = This step is not one stepwise knows, so it has no built-in guidance.
step-generic-needs =
    The customer's phone with the app open and logged in
    Anything the app asks for on screen (codes, PIN, keys, vehicle access)
step-generic-does =
    Ask the customer to open the app and follow its prompts for this step.
    Note the step name and any error code the app shows.
    Look the step up in the vendor documentation or the dealer's help pages.
    Refresh the steps list here once the customer has finished.

## App error codes: what each means and what helps.

code-2000-meaning = Generic failure
code-2000-remedy = Ask the customer to try again; if it keeps failing, note the code and report it.
code-2201-meaning = The request timed out
code-2201-remedy = Try again, and check the phone has good mobile or Wi-Fi coverage.
code-2202-meaning = No internet connection
code-2202-remedy = Check the phone's mobile data or Wi-Fi, then try again.
code-2204-meaning = Server error
code-2204-remedy = Wait a while and try again later; report it if it keeps happening.
code-2301-meaning = Basic authentication is needed
code-2301-remedy = Ask the customer to log out of the app and log in again, then retry.
code-2302-meaning = Strong authentication is needed
code-2302-remedy = The customer must confirm with their PIN (OTP with PIN) in the app, then retry.
code-2305-meaning = The SMS code is not valid
code-2305-remedy = Have the app send a new code and type it carefully into the code field.
code-2306-meaning = The SMS code has expired
code-2306-remedy = Have the app send a new code and enter it promptly.
code-2307-meaning = The account has no phone number
code-2307-remedy = Register a trusted phone number first (trusterPhoneNumber step).
code-2308-meaning = The authentication service refused access
code-2308-remedy = Check the SMS code and PIN the customer typed, and that each went in the right field, then retry.
code-2310-meaning = The account is blocked
code-2310-remedy = Remove the account's enrolled devices (at least the unused ones) and enroll this phone again.
code-2311-meaning = The authentication state is not correct
code-2311-remedy = Reset the steps cache (wizard R key, or `stepwise steps --car ID --reset`), then enroll the device again.
code-2312-meaning = The device is disabled or unknown
code-2312-remedy = Reset the steps cache (wizard R key, or `stepwise steps --car ID --reset`), then activate the device again.
code-2317-meaning = Operation forbidden with the PIN (device activated, blocked or upgradable)
code-2317-remedy = Reset the steps cache (wizard R key, or `stepwise steps --car ID --reset`), then activate the device again. If it persists, the account is blocked: remove all enrollments and start again.
code-2323-meaning = The user is not the owner of this vehicle
code-2323-remedy = Check the vehicle is associated with the customer's account and the carAssociationID is right.
code-2341-meaning = CarKey: Location or Bluetooth is off
code-2341-remedy = Turn on both Location and Bluetooth on the phone, then run the CarKey check again.
code-2342-meaning = CarKey: the phone is not paired with the vehicle
code-2342-remedy = Pair the phone with the vehicle over Bluetooth, then run the CarKey check again.
code-2346-meaning = No step exists for this stepsID
code-2346-remedy = Start again with the carAssociationID to get a fresh steps list.
code-2354-meaning = CarKey: the key position is not valid
code-2354-remedy = Have the customer sit inside the vehicle with the keys and run the CarKey check again.
code-2355-meaning = CarKey: invalid signature
code-2355-remedy = Run the CarKey check again from inside the vehicle with the keys; report it if it keeps failing.
code-2356-meaning = CarKey: invalid timestamp
code-2356-remedy = Check the phone's date and time are set automatically, then run the CarKey check again.
code-2390-meaning = The phone number is already registered
code-2390-remedy = Nothing to fix: carry on with that number as the trusted one.

## The board: many vehicles at once

board-title = { $count ->
    [one] board of 1 vehicle
   *[other] board of { $count } vehicles
}
board-sorted-by = sorted by { $key }
board-sort-next = next step
board-sort-progress = progress
board-sort-freshness = freshness
board-sort-id = id
board-live-on-short = live ON
board-live-polling-short = live ON · polling every { $secs } s
board-live-off-short = live off
board-summary-ready = { $n } ready
board-summary-in-progress = { $n } in progress
board-summary-failing = { $n } failing
board-summary-loading = { $n } not loaded yet
limited-wait = HTTP 429: requests wait { $secs } s more
board-filter = filter:
board-fresh-never = not yet
board-fresh-secs = { $n } s ago
board-fresh-mins = { $n } min ago
board-fresh-hours = { $n } h ago
board-empty = No vehicle on the board yet: press 'a' to add one.
board-none-match = No vehicle matches the filter. Press Esc to clear it.
board-col-car = carAssociationID
board-col-car-short = id
board-col-progress = progress
board-col-progress-short = progress
board-col-next = next step
board-col-fresh = data
board-col-error = error
board-rows-window = { $from }–{ $to } of { $total }
board-n-of-m = { $done } of { $total }
board-ready = ready
board-loading = asking…
board-held = held (HTTP 429)
board-retrying-was = retrying (was: { $was })
board-held-was = held (was: { $was })
board-remove-ask = Remove { $car } from the board? Press 'y' to remove it, 'n' to keep it.
board-add-prompt = Add carAssociationID:
board-add-duplicate = { $car } is already on the board.
board-removed = { $car } removed
board-removed-text = Its requests were stopped; press 'a' to add it again.
board-shared-steps-id = One stepsID ({ $id }) for { $count } vehicles
board-shared-steps-id-text = { $cars } got lists under the same stepsID, which belongs to one vehicle: a proxy or cache between here and the gateway (one that ignores the query), or the gateway itself, mixes up answers, so these rows and their live updates may show another vehicle's list. Do not rely on them; tell the gateway's operator (and the network's administrator, where a proxy is set).
board-turned-ready = { $count ->
    [one] { $cars } is ready
   *[other] { $cars } are ready
    }
board-turned-ready-text = Every step is done: the customer can use the service.
board-turned-unready = { $count ->
    [one] { $cars } is no longer ready
   *[other] { $cars } are no longer ready
    }
board-live-on = { $count ->
    [one] Live: 1 vehicle
   *[other] Live: { $count } vehicles
}
board-live-off = Live off
board-live-off-text = The board no longer refreshes by itself; press r to refresh all now.
board-live-stopped = Live stopped for { $car }: { $what }
board-live-stopped-every = Live stopped for every vehicle: { $what }
board-live-stopped-text = { $why }. Following it would only repeat this answer; live goes on for the other vehicles. Once it is fixed, press w twice (live off, then on) to follow it again.
board-live-stopped-unknown-text = { $why }. Following it would only repeat this answer; live goes on for the other vehicles.
board-row-id-fix = A row's id cannot be corrected in place: on the board, d removes this row and a adds the right id (from this vehicle's screen, Esc goes back to the board first).
board-live-stopped-all-text = { $why }. Following it would only repeat this answer, and live has now stopped for every vehicle of the board. When every vehicle met the same answer, the gateway or something in front of it is the cause, not each id. Once it is fixed, press w to follow them again (live is off).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] The vehicle failed
   *[other] All { $count } vehicles failed the same way
}: { $what }
board-stream-said = Live stream of { $count } vehicles: { $what }
board-nothing-to-watch-text = Every vehicle is ready.
help-section-board = The board
help-section-board-filter = The board's filter
help-section-board-add = Adding a vehicle
help-section-board-remove = Removing a vehicle
key-short-sort = sort
key-short-live = live
key-short-add = add
key-short-remove = remove
key-short-keep = keep
key-help-board-move = select a vehicle
key-help-board-open = open the selected vehicle's steps (Esc comes back to the board)
key-help-board-filter = filter the rows by text (id, next step, error)
key-help-board-sort = sort by next step, progress, freshness or id
key-help-board-refresh = refresh every vehicle
key-help-board-live = keep every vehicle live (refreshed by itself), or stop
key-help-board-add = add a vehicle by its carAssociationID
key-help-board-remove = remove the selected vehicle (asks first)
key-help-board-clear = clear the filter
key-help-board-sign-in = sign in to the gateway (after a refused token): every vehicle refused for want of a token then asks again
key-help-filter-keep = keep the filter and go back to the rows
key-help-filter-clear = clear the filter
key-help-type-filter = type the text to look for
key-help-add-submit = add the vehicle and ask for its steps
key-help-remove-now = remove it from the board

## Codes and strings the open clients of the same backend show their users.
## The code itself is shown as typed; these say what it means and what helps.

client-maxnbtools-meaning = Account locked: too many SMS activations or too many devices associated
client-maxnbtools-remedy = Remove unused phones and enrollments in the vehicle mobile app (reset the account), then activate again. If it persists, only the maker's support can reset the account, which can take days.
client-forbidden-meaning = The OTP enrollment was refused (same family as MAXNBTOOLS)
client-forbidden-remedy = Redo the device activation from the start. If it is refused again, treat it as MAXNBTOOLS: remove unused devices and reset the account.
client-access-meaning = Invalid SMS code or PIN code
client-access-remedy = Enter them again: the SMS code in the code field, the app PIN in the PIN field.
client-blocked-meaning = Too many wrong PIN codes: the PIN is blocked
client-blocked-remedy = Reset the PIN in the vehicle mobile app, then activate the device again.
client-code-meaning = Probably a wrong app PIN code (not certain)
client-code-remedy = Try again with the correct PIN code of the app.
client-sn-meaning = The SMS code was not accepted (not certain; seen when something else was typed or auto-filled)
client-sn-remedy = Ask for a new SMS and type the code by hand.
client-need-authorization-meaning = The brand account's sign-in needs a new authorization
client-need-authorization-remedy = Wait and try again later (often the next day); sign in again in the vehicle mobile app.
client-authentication-failed-meaning = Email, password or country of the brand account is wrong
client-authentication-failed-remedy = Correct the email, password or country, then sign in again.
client-invalid-grant-meaning = The sign-in token expired or was revoked
client-invalid-grant-remedy = Sign in again.
client-40400-meaning = No status found for this vehicle
client-40400-remedy = Check the vehicle is in the customer's account; if it persists, remove the vehicle and add it again.
client-50000-meaning = The vehicle's connectivity module was replaced (after a repair) and the backend no longer matches it
client-50000-remedy = Sign in again; if it persists, the dealer must register the new module.
client-50038-meaning = Temporary error on the maker's side
client-50038-remedy = Try again later.
client-no-matching-service-key-meaning = This command is not part of the subscribed service
client-no-matching-service-key-remedy = Use what the subscription offers (doors, horn and lights need a higher service level).
client-422-meaning = Remote command refused: the vehicle's privacy mode is on
client-422-remedy = Turn privacy mode off in the vehicle, then try again.
client-901-meaning = Remote command refused: the vehicle is asleep
client-901-remedy = Wake the vehicle and try again.

## Limits that bite, shown with the codes they belong to.

limit-sms-activations = About 20 SMS activations lock the account (one user after about 10): after two failures, explain the code and stop.
limit-otp-codes = Open-source client apps (not the customer) allow themselves 6 OTP codes per 24 h; the server probably enforces that limit.
limit-wake-ups = Those client apps allow themselves 6 wake-ups per 20 minutes.

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Usage:
help-cli-options = Options
help-cli-arguments = Arguments
help-cli-commands = Commands
help-cli-command-value = COMMAND
help-cli-help = Print help
help-cli-help-short = Print help (see more with '--help')
help-cli-help-long = Print help (see a summary with '-h')
help-cli-version = Print version
help-cli-help-command = Print this message or the help of the given subcommand(s)
help-cli-help-command-subcommand = Print help for the subcommand(s)
help-cli-default = [default: { $value }]
help-cli-env = [env: { $name }]
help-cli-values = [possible values: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Walks a technician through the service activation steps of a connected vehicle
help-cli-stepwise-long =
    Walks a technician through the service activation steps of a connected vehicle.

    With no gateway configured (--api, STEPWISE_API or the config file), the wizard and the steps/next commands use the embedded simulator.
help-cli-stepwise-after = Exit codes of steps/next: 0 no returned step is todo, 3 a returned step is todo, 1 error, 2 bad usage. A subcommand refuses a global option it does not use.
help-cli-stepwise-api = Base URL of the steps gateway, e.g. http://127.0.0.1:8080 (no user name or password in it)
help-cli-stepwise-car = carAssociationID to open (letters a–z, A–Z, digits, - and _); repeat it for a board of several vehicles (doctor takes one)
help-cli-stepwise-cars = File of carAssociationIDs: one per line (# starts a comment), or a CSV whose first column is the id
help-cli-stepwise-concurrency = Requests in flight at once to the gateway, for the whole board or all of --cars
help-cli-stepwise-token-file = File holding the gateway's bearer token, alone on one line
help-cli-stepwise-report = Write the session report here on exit (.json gives JSON, else Markdown)
help-cli-stepwise-lang = Language of the screens, guidance, plain output and these messages: en, fr, de, it, es, nl, pt-BR or pt-PT (pt: pt-BR; else STEPWISE_LANG, the config file's lang, the system locale, English)
help-cli-stepwise-ca-file = Also trust the authorities in this PEM file (else STEPWISE_CA_FILE, `ca_file` in the config file, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Present this client certificate (PEM; may hold the key too)
help-cli-stepwise-client-key = The client certificate's private key (PEM)
# The commands and their options.
help-cli-demo = The wizard on the embedded simulator
help-cli-demo-autoplay = The simulated customer completes the next step every few seconds
help-cli-demo-fresh = Start the demo backend over: forget its stepsIDs, caches and truths
help-cli-demo-board = Open the board with the demo backend's vehicles (or the given --car/--cars)
help-cli-fleet = The board: many vehicles at once, one row each (give them with --car, repeated, or --cars FILE)
help-cli-serve = Run the steps gateway simulator
help-cli-serve-addr = Address to listen on, HOST:PORT (a host name is resolved)
help-cli-serve-scenario = Scenario file (JSON); the built-in scenario otherwise
help-cli-serve-token = Require this bearer token on every request. Every user of this machine can read it in `ps`: prefer --token-file or STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = Add N generated vehicles, F0001..., in varied states
help-cli-serve-churn = Every SECONDS, the next step of a random generated vehicle (F0001…) completes; the built-in ones are left to play by hand
help-cli-serve-stream-events = End each event stream after its first N events (for tools that need an answer that ends)
help-cli-serve-log = Print one line per request on standard output: time, method, path, status, duration
help-cli-serve-tls = Serve HTTPS with a certificate generated at start (for localhost and 127.0.0.1)
help-cli-serve-tls-dir = Write the authority (ca.pem), certificate and key there (else the data directory's sim-tls)
help-cli-serve-client-ca = Demand client certificates signed by this authority (PEM)
help-cli-serve-auth = Also be the identity provider (`stepwise login`): registered clients, scopes, the device and authorization code (PKCE) grants, rotating refresh tokens, revocation; POST /sim/device/CODE/approve or /deny
help-cli-serve-token-ttl = Lifetime of the tokens it issues, in seconds
help-cli-login = Sign in to the gateway (--api) with a code approved in a browser
help-cli-login-with-token = Read one token from standard input instead: piped, or pasted at a prompt that does not show it (never from an argument)
help-cli-logout = Revoke the login at the identity provider where it offers revocation, and forget the token kept for the gateway (--api)
help-cli-logout-forget = Forget the login here even when the identity provider cannot be reached to revoke it
help-cli-auth = The sign-in: who, where the token is kept, when it expires
help-cli-auth-status = Says the gateway, where the token is kept and when it expires (never the token); exit 0 with a usable token or when the gateway answers without one, 1 otherwise
help-cli-auth-status-json = Print JSON
help-cli-steps = Print the steps as a checklist (or JSON); exit 3 while a returned step is todo
help-cli-steps-after =
    With --status todo or alreadyDone only those steps are returned: the output then says it is filtered and never claims the service is ready, and exit 0 only means that no returned step is todo.

    With several vehicles (--car repeated, or --cars FILE) each gets its block, or with --json one JSON object per line (JSON Lines); exit 1 when any vehicle failed (stderr names each), else 3 when any has a step to do, else 0.
help-cli-steps-steps-id = Refresh by stepsID instead of --car
help-cli-steps-status = Only steps with this status
help-cli-steps-reset = Wipe the steps cache first (cures app errors 2312/2317)
help-cli-steps-json = Print JSON instead of the checklist
help-cli-steps-deadline = Stop waiting after this many seconds in all (with several vehicles, name the ones that did not answer)
help-cli-doctor = Check everything between this machine and a working wizard; exit 1 when a check fails
help-cli-doctor-json = Print JSON
help-cli-completions = Print shell completions (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = The shell to write completions for
help-cli-man = Print the manual page (roff), e.g. `stepwise man > stepwise.1`
help-cli-next = Print the next step to do; exit 3 while one remains
help-cli-next-after = `order` is the gateway's next-step answer as sent: that answer numbers the step it returns on its own (the SDK's gives 1), so it may differ from the order the same step has in `stepwise steps`.
help-cli-next-steps-id = The stepsID whose next step to ask for (`stepwise steps` shows it)
help-cli-next-json = Print JSON
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: error: { $message }
cli-arg-login-trouble = stepwise: warning: no token is sent: { $why }
cli-arg-warning = stepwise: warning: { $what }
device-unkept = the device id cannot be kept in { $path } ({ $why }): each run is a new device to the gateway, which refuses the stepsIDs of earlier runs as another device's. Fix that: move what is in the way, or let this user write there
cli-waiting-limited = stepwise: the gateway limits requests (HTTP 429): waiting { $secs } s as it asks, then trying again (Ctrl-C stops)
cli-waiting-limited-past-deadline = stepwise: the gateway limits requests (HTTP 429) and asks to wait { $secs } s, longer than the { $left } s left of the deadline (--deadline): the command stops at the deadline. Give a longer --deadline to wait it out, or try again later
cli-arg-not-used = { $command } does not use { $option }: { $why }
cli-arg-why-demo-api = it always runs on the embedded simulator. For a gateway run `stepwise --api URL`
cli-arg-why-demo-token-file = the embedded simulator needs no token. For a gateway run `stepwise --api URL --token-file PATH`
cli-arg-why-login-token-file = login keeps a token read from standard input, never from a file given with it: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout forgets the login kept for the gateway, and sends no token to it. Leave it out
cli-arg-why-serve-api = it is the gateway. Point clients at its --addr instead
cli-arg-why-concurrency = it is the gateway and asks no gateway itself; --concurrency is for the clients that ask it. Leave it out
cli-arg-why-concurrency-next = it asks for one vehicle's next step, in one request: nothing runs at once. Leave it out
cli-arg-why-serve-car = the simulator answers for every car of its scenario (choose one with --scenario)
cli-arg-why-session-report = session reports come from the wizard. Leave it out
cli-arg-why-serve-client-cert = they are what a client presents. To demand client certificates use serve --tls --client-ca FILE
cli-arg-why-doctor-report = it prints its report instead. Use --json and redirect it to keep it
cli-arg-doctor-one-car = doctor checks one vehicle: give one --car (no --cars); the board's vehicles are checked with `stepwise steps --cars FILE`
cli-arg-why-print-report = it prints its result instead. Redirect it to keep it, e.g. `--json > steps.json`
cli-arg-why-sign-in-car = signing in is per gateway, not per car. Leave it out
cli-arg-why-next-car = it asks by --steps-id only. Get a stepsID with `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id asks for one list. Leave out one of them
cli-arg-serve-token-twice = serve takes the token to require from --token or --token-file, not both
cli-arg-serve-token-empty = serve --token is empty, which would require no token. Give the token, or leave out --token for a simulator open to all
cli-arg-serve-churn = serve --churn needs --fleet N: it completes steps of the generated vehicles' kind. Add e.g. --fleet 200
cli-arg-seconds = give a number of seconds from 0.1 to 86400, e.g. 2
cli-arg-empty = it is empty: give a value, or leave the option out for its default
cli-arg-id = an id is 1 to { $max } letters a–z, A–Z, digits, '-' or '_'
cli-arg-addr-no-port = it has no port; give HOST:PORT, e.g. 127.0.0.1:8080, localhost:8080 or [::1]:8080
cli-arg-addr-no-host = { $port } has no host: give HOST:PORT, e.g. 127.0.0.1:{ $port } (or 0.0.0.0:{ $port } for the shop's network)
cli-arg-addr-port = the port is not a number from 0 to 65535; give HOST:PORT, e.g. 127.0.0.1:8080, localhost:8080 or [::1]:8080
cli-arg-addr-host = the host is not an address or a host name; give HOST:PORT, e.g. 127.0.0.1:8080, localhost:8080 or [::1]:8080
cli-arg-addr-scheme = it starts with a scheme (http:// or https://), which --addr does not take; give HOST:PORT alone, e.g. { $given }
cli-arg-addr-ip = the IP address { $host } is not valid: each of its four parts is a number from 0 to 255; give HOST:PORT, e.g. 127.0.0.1:8080 or 192.168.1.20:8080
cli-arg-report-folder = --report { $path } is a folder. Give a file name in it, e.g. { $example }
cli-arg-report-slash = --report { $path } ends with a slash, as a folder's path does, and there is no such folder. Give a file name, e.g. session.md
cli-arg-report-not-a-file = --report { $path } is not a regular file (a device, a pipe or a link), and the report would replace it. Give the path of a new or ordinary file, e.g. session.md
cli-arg-report-is-cars = --report { $path } is the ids file given with --cars: the report would overwrite the list of vehicles. Give the report another name, e.g. session.md
cli-arg-report-is-token-file = --report { $path } is the token file given with --token-file: the report would overwrite the token. Give the report another name, e.g. session.md
cli-arg-report-is-config = --report { $path } is the config file this run reads: the report would overwrite its settings. Give the report another name, e.g. session.md
cli-arg-report-not-report = --report { $path } already holds a file that is not a stepwise report: the report would replace it. Give the report another name, e.g. session.md, or move that file away first
cli-arg-report-in-data = --report { $path } is in stepwise's own data folder ({ $dir }), where it keeps its sign-ins and its device id: the report could overwrite them. Give the report a path outside it, e.g. session.md
cli-arg-report-parent-file = --report { $path }: { $parent } is not a folder. Choose another path
cli-arg-report-no-folder = --report { $path }: the folder { $parent } does not exist. Create it or choose another path
cli-arg-report-unwritable = --report { $path } cannot be written ({ $why }). Choose a path you can write to
cli-arg-report-unwritable-kept = --report { $path } cannot be written ({ $why }). The session's report, notes included, was written to { $kept } instead; check what changed at that path since the wizard started
cli-arg-unknown-lang = unknown language { $given } in { $place }; stepwise speaks { $codes }
cli-arg-unknown-lang-config = unknown language { $given } in the config file's lang; stepwise speaks { $codes }
cli-arg-man-failed = cannot make the manual page: { $error }
cli-arg-cars-unreadable = cannot read --cars { $path }: { $error }. Check the path (one id per line, or a CSV)
cli-arg-cars-workbook = --cars { $path } is an Excel workbook, not text: in Excel, save it with Save As, "CSV UTF-8", and give that file
cli-arg-cars-not-text = --cars { $path } is not a text file (it holds control characters): give a text file with one carAssociationID per line, or a CSV
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = line { $line } "{ $id }"
cars-bad-more = and { $n } more
cars-bad = { $lines }: not a carAssociationID (1 to { $max } letters a–z, A–Z, digits, '-' or '_'). Fix or remove { $count ->
    [one] that line
   *[other] those lines
}
cars-excel-number = A line holds a long number as Excel writes it (such as 9,87654E+11): in Excel, format the column as Text, type the ids again and save again.
cars-heading-no-ids = its first row "{ $heading }" names no column as the carAssociationID, and no column below holds ids only (a VIN or a licence plate is no carAssociationID). Head the ids' column carAssociationID (or Vehicle ID), or give one id per line
cars-heading-ambiguous = its first row "{ $heading }" does not say which column holds the carAssociationID, and { $count } columns below could. Head the ids' column carAssociationID (or Vehicle ID), or give one id per line
cli-arg-cars-empty = --cars { $path } holds no carAssociationID. Put one id per line
cli-arg-fleet-needs-cars = fleet needs vehicles: give --car ID (repeat it) or --cars FILE, e.g. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps needs --car ID, --cars FILE or --steps-id ID
steps-reset-asked = The steps cache was reset (resetSteps=true): the list below is the gateway's answer after the reset.
cli-wrong-device-hint = This device gets its own stepsID from `stepwise steps --car ID`; give that one to --steps-id.
cli-wrong-device-reset = The steps cache was not reset: reset it by the carAssociationID instead, with `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = This run could not keep its device id (see the warning above), so each run is a new device and a stepsID works only within the run that got it: fix the data folder first.
cli-arg-output-failed = cannot write the output: { $error }. Check where standard output goes (a full disk?)
cli-arg-runtime = cannot start the async runtime: { $error }
cli-arg-dumb-terminal = the wizard cannot draw on a dumb terminal (TERM=dumb). For scripts use `stepwise steps --car ID [--json]`, or set TERM, e.g. TERM=xterm-256color
cli-arg-demo-scripts = For the demo's vehicles, `stepwise steps --car 987654` (or 111111, 222222, 333333, 444444) answers from the same embedded simulator only where no gateway is configured (no --api, STEPWISE_API or `api` in the config file); the board demo's F0001… exist inside it alone
cli-arg-no-terminal = the wizard needs an interactive terminal. For scripts use `stepwise steps --car ID [--json]`
cli-arg-report-written = Session report written to { $path }
cli-arg-report-empty = Nothing to report: no vehicle was opened and no note was written in this run ({ $path } says so).
cli-arg-report-notes-kept = Your notes were kept: no --report was given, and the run ended without a second q, so the session's report was written to { $path }
cli-arg-report-notes-unkept = Your notes could not be written to any report (the data folder's reports cannot be written either); here they are, to copy:
cli-arg-report-earlier-kept = The earlier report at that path is kept as { $path }
cli-arg-internal-error = stepwise stopped after an internal error (its message is above); the log file has the details for support.
cli-arg-scenario-bad = { $error }. Fix the file or leave out --scenario
scenario-unreadable = cannot read the scenario { $path }: { $error }
scenario-not-json = the scenario { $path } is not a scenario's JSON ({ $detail })
scenario-unknown-member = it holds a member { $member }, which a scenario does not have, at line { $line }, column { $column }
scenario-missing-member-at = it lacks the member { $member } in the object that ends at line { $line }, column { $column }
scenario-shape-at = its shape differs from a scenario's at line { $line }, column { $column }
scenario-cut = the scenario { $path } stops before its JSON ends (line { $line }, column { $column }): the file is cut short
scenario-syntax = the scenario { $path } is not valid JSON at line { $line }, column { $column } (a missing quote, comma or bracket, or not a JSON file at all): fix it there
scenario-bad-id = the scenario { $path }: the carAssociationID { $id } is not made of letters a–z, A–Z, digits, - or _
scenario-id-twice = the scenario { $path }: the carAssociationID { $id } appears twice
scenario-step-names = the scenario { $path }: every step of { $id } needs a name, each name once
cli-arg-addr-unresolved = cannot resolve --addr { $addr }: { $error }. Give an IP address or a host name this machine knows, e.g. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } resolves to no address. Give an IP address, e.g. 127.0.0.1:8080
cli-arg-listen-failed = cannot listen on { $addr }: { $error }. Choose another --addr
cli-arg-bound-unknown = cannot tell the address bound for { $addr }. Choose another --addr
cli-arg-sim-stopped = the simulator stopped: { $error }
cli-arg-tls-no-dir = no data directory to write the certificates to. Give --tls-dir DIR
cli-arg-tls-dir-failed = cannot create { $path }: { $error }. Give another --tls-dir
cli-arg-tls-write-failed = { $error }. Give another --tls-dir
cli-arg-client-ca-unreadable = cannot read the --client-ca file { $path }: { $error }. Check the path
cli-arg-client-ca-bad = { $error }. Check the --client-ca file
cli-arg-tls-authority-written = Authority written to { $path }: clients trust it with --ca-file { $path }
cli-arg-tls-client-cert = A client certificate of this authority, to try a gateway that demands one (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Authority of an earlier run kept in { $path } (delete ca.pem, cert.pem and key.pem there for new ones): clients trust it with --ca-file { $path }
cli-arg-tls-kept-uncovered = Warning: the certificate kept in { $path } is made for { $names }, not for { $missing }: clients that use { $missing } in --api get a certificate error. Delete ca.pem, cert.pem and key.pem in { $dir } to have new ones made (clients then trust the new ca.pem)
cli-arg-tls-kept-bad = the TLS files already in { $dir } cannot be used ({ $error }). They are left as they are: delete ca.pem, cert.pem and key.pem there to have new ones made, or give another --tls-dir
sim-tls-library = the TLS library refused the setup: { $error }
sim-tls-write = { $path } cannot be written: { $error }
sim-tls-cert-none = cert.pem holds no PEM certificate (no BEGIN CERTIFICATE block)
sim-tls-cert-not-pem = cert.pem is not valid PEM (a block is broken)
sim-tls-key-none = key.pem holds no PEM private key
sim-tls-key-mismatch = cert.pem and key.pem do not belong together (the key is not the certificate's)
sim-tls-client-ca-none = the --client-ca file { $path } holds no PEM certificate (no BEGIN CERTIFICATE block): give the PEM file of the authority that issues the client certificates
sim-tls-client-ca-not-pem = the --client-ca file { $path } is not valid PEM (a block is broken)
sim-tls-client-ca-not-authority = the --client-ca file { $path } holds a certificate that cannot serve as an authority ({ $detail })
cli-arg-tls-partial = { $dir } holds { $present } but not all of ca.pem, cert.pem and key.pem: nothing is written over (clients may trust that authority). Put the missing files there, delete those, or give another --tls-dir
cli-arg-tls-client-ca-required = Client certificates signed by { $path } are required
cli-arg-sim-listening = stepwise simulator listening on { $url } ({ $count ->
        [one] 1 association
       *[other] { $count } associations
    }; { $required }; Ctrl-C stops)
cli-arg-sim-token-either = the bearer token or a signed-in token required
cli-arg-sim-token-bearer = a bearer token required
cli-arg-sim-token-signed-in = a signed-in token required
cli-arg-sim-token-none = no token required
cli-arg-sim-open-network = Warning: { $url } can be reached from other machines and asks for no token: anyone on that network can use the control calls (/sim/…: complete or revoke steps, approve sign-ins). Require a token with --token-file PATH, or listen on 127.0.0.1 only.
cli-arg-sim-reach = Other machines and phones reach it at { $url }: give that to --api there (the customers' guidance QR then points there too)
cli-arg-sim-device-sign-in = device sign-in on: tokens last { $seconds } s; approve a code with POST /sim/device/CODE/approve (or /deny), or open { $url }/device

## Command-line errors: configuration, networks, sign-in storage
# The config file; { $file } is its path, or its path and the variable that named it
err-config-named-by = { $path } (named by STEPWISE_CONFIG)
err-config-not-utf8 = the config file { $file } is not UTF-8 text. Save it as UTF-8 TOML
err-config-missing = the config file { $file } does not exist. Create it, or fix or unset STEPWISE_CONFIG
err-config-folder-named = the config file { $file } is a folder, not a file. Fix STEPWISE_CONFIG or unset it
err-config-folder = the config file { $file } is a folder, not a file. Remove it or put a config file there
err-config-unreadable = cannot read the config file { $file }: { $kind }. Make it readable by you
err-config-unreadable-other = cannot read the config file { $file }: { $kind }. Fix what is wrong there, or point STEPWISE_CONFIG at another config file
err-config-invalid-at = the config file { $file } is not valid at line { $line }, column { $column }: { $why }. Known keys: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = the config file { $file }, line { $line }: a backslash in "…" text starts an escape (\t is a tab, \n a line break), so a Windows path breaks there. Write the path in single quotes ('C:\Users\me\tok'), or with / or \\ in place of each \
err-config-empty-path = the config file { $file }, line { $line }: { $key } is empty, so it names no file. Give the file's path, or remove the line
err-config-invalid = the config file { $file } is not valid: { $why }. Known keys: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = the config file { $file } is not valid at line { $line }, column { $column }: { $why }
err-config-syntax = the config file { $file } is not valid: { $why }
config-unknown-key = { $key } is no key stepwise knows
config-wants-text = this value must be text in quotes (key = "value")
config-quote = a text value goes in quotes (key = "value")
config-unclosed = a text in quotes is not closed. End it with the quote it starts with (" or ')
config-no-equals = a key and its value are joined by = (key = "value"), not by a colon or a space
config-extra-equals = one = goes between a key and its value (key = "value")
config-duplicate = this key is given a second time. Keep one of them
config-one-per-line = one key = "value" per line, with nothing after the value but a # comment
config-table = this file takes no [section] header: every setting is a line of its own, key = "value"
config-no-key = the key is missing before the =: every setting is a line key = "value", e.g. api = "https://gateway.example"
# A token file, and a token given as text; { $from } says where it was given
err-from-config-token = the config file
err-from-stdin = standard input
err-from-config-token-file = token_file in the config file
err-from-config-ca-file = ca_file in the config file
err-token-file-missing = the token file { $path } (from { $from }) does not exist. Check the path, or save the token there
err-token-file-unexpanded = the token file { $path } (from { $from }) does not exist: only a leading ~/ or $HOME/ is expanded in a path, so any other variable in it is taken as written. Give the full path
err-token-file-folder = the token file { $path } (from { $from }) is a folder. Give the file that holds the token, not its folder
err-token-file-denied = the token file { $path } (from { $from }) cannot be read: permission denied. Make it readable by you (e.g. chmod 600)
err-token-file-unreadable = the token file { $path } (from { $from }) cannot be read ({ $kind }). Check the path and the file
err-token-file-not-utf8 = the token file { $path } (from { $from }) is not UTF-8 text. Put the gateway's token in it as plain text
err-token-file-empty = the token file { $path } (from { $from }) is empty. Put the gateway's token in it, alone on one line
err-token-file-characters = the token file { $path } (from { $from }) holds spaces or characters a token cannot have. Put the token alone on one line, exactly as the gateway gave it
err-token-file-bearer = the token file { $path } (from { $from }) holds the word Bearer before the token: drop the word Bearer and keep the token alone on its line; stepwise adds Bearer itself
err-token-file-wrapped = the token file { $path } (from { $from }) holds the token { $shape }: keep only the token itself, alone on its line, exactly as the gateway issued it
err-serve-token-file-characters = the token file { $path } (from serve --token-file) holds spaces, quotes or characters a token cannot have. The simulator's token is yours to choose: put one of letters, digits and - . _ ~ + / only, alone on its line
err-token-file-lines = the token file { $path } (from { $from }) holds { $n ->
    [one] { $n } line
   *[other] { $n } lines
}. A token file holds the token alone on one line
err-token-text = the token in { $from } holds spaces, line breaks or characters a token cannot have. Give the token exactly as the gateway issued it
err-token-text-bearer = the token in { $from } starts with the word Bearer: drop the word Bearer and give the token alone; stepwise adds Bearer itself
err-token-text-wrapped = the token in { $from } is given { $shape }: give the token itself, exactly as the gateway issued it
err-serve-token-text = the simulator's token (serve --token or STEPWISE_SERVE_TOKEN) holds spaces, quotes or characters a token cannot have. It is yours to choose: use letters, digits and - . _ ~ + / only
token-shape-quoted = in quotes
token-shape-assignment = as name=value (a line of a script or .env file)
token-shape-json = inside JSON (such as an identity provider's answer: its access_token's value is the token)
token-shape-punctuated = with a ';' or ',' after it (copied from a command line or a list)
token-shape-header = as a whole header line (`Authorization: Bearer …`; stepwise adds the header and the word Bearer itself)
err-token-text-empty = the token in { $from } is empty. Give the token exactly as the gateway issued it, or remove the setting
err-config-token-not-text = the config file { $file } gives a token that is not text in quotes (its value is not shown). Write it as token = "…", exactly as the gateway issued it
err-file-too-large = larger than { $limit } KiB, far more than such a file ever holds
err-io-not-found = no such file
err-io-denied = permission denied (this user may not read it)
err-io-folder = it is a folder, not a file
err-io-not-text = it is not UTF-8 text
# URLs
err-user-info-gateway = the gateway URL has a user name or password in it (user:password@host), which stepwise neither shows nor sends. Remove it from --api, STEPWISE_API or api in the config file; the gateway's token goes in --token-file, STEPWISE_TOKEN or the config file
err-user-info-docs = the documentation base URL has a user name or password in it (user:password@host), which stepwise neither shows nor sends. Remove it from { $place }; the gateway's token goes in --token-file, STEPWISE_TOKEN or the config file
err-docs-url = the documentation base URL { $url } is not an http(s) URL. Fix { $place }, e.g. https://help.dealer.example
err-docs-url-why = the documentation base URL { $url } is not usable: { $why }. Fix { $place }, e.g. https://help.dealer.example
docs-place-config = docs_base_url in the config file
err-api-scheme = the gateway URL { $url } does not say http:// or https://: add http:// or https:// in front, e.g. http://{ $url }
err-api-scheme-typo = the gateway URL { $url } has its scheme mistyped (it needs ://): write { $fixed }
err-api-empty = --api (or STEPWISE_API) is given but empty: give the gateway's URL, e.g. --api http://127.0.0.1:8080, or leave it out to use the embedded simulator
err-api-empty-in-file = `api` in the config file ({ $path }) is empty: give the gateway's URL there, e.g. api = "http://127.0.0.1:8080", or remove the line to use the embedded simulator
# Certificates, keys and proxies; { $why } ends the sentence that names the file
err-ca-file = the CA file { $path } { $why }. Give a PEM file of the authority with --ca-file
err-ca-file-from = the CA file { $path } (from { $from }) { $why }. Correct { $from } to name a PEM file of the authority, or remove that setting
err-client-cert = the client certificate { $path } { $why }. Give a PEM certificate with --client-cert (and its key with --client-key)
err-client-cert-bare = the client certificate { $path } { $why }
err-key-not-in-cert = the client certificate { $path } { $why }; put the key in the same file or give --client-key. Give a PEM certificate with --client-cert (and its key with --client-key)
err-client-key = the client key { $path } { $why }. Give the certificate's private key (PEM) with --client-key
err-key-mismatch = the client key { $key } does not match the certificate { $cert }. Give the key that was made with this certificate
err-key-without-cert = --client-key { $key } was given without --client-cert. Give both
err-key-without-cert-config = `client_key` in the config file names { $key }, but no client certificate is set: add `client_cert` to the config file (or give --client-cert)
err-pem-missing = cannot be read (it does not exist)
err-pem-denied = cannot be read (permission denied)
err-pem-unreadable = cannot be read ({ $kind })
err-pem-not-pem = is not valid PEM ({ $detail })
err-pem-no-certificate = holds no PEM certificate (no BEGIN CERTIFICATE block)
err-pem-no-key = holds no PEM private key (no BEGIN PRIVATE KEY block)
err-pem-encrypted = is encrypted with a passphrase, and encrypted keys are not supported. Decrypt it once with `openssl pkey -in KEY -out PLAIN.key` and keep that file private
err-pem-bad-key = is not a valid PEM key ({ $detail })
err-pem-no-authority = holds no usable certificate authority
err-pem-unusable = cannot be used ({ $detail })
err-pem-cert-version1 = cannot be used: it is an X.509 version 1 certificate (no extensions), which stepwise's TLS library cannot present, even where a gateway would take it; ask whoever issues them for a version 3 certificate
err-pem-cert-refused = cannot be used: the TLS library refuses this certificate; ask whoever issues them for a new one
err-proxy = the proxy in { $from } is not usable: { $why }. Give it as http://HOST:PORT, or unset { $from } to connect directly
err-proxy-socks = the proxy in { $from } is a SOCKS proxy ({ $scheme }://), and stepwise speaks only to HTTP proxies. Ask for the network's HTTP proxy and give it as http://HOST:PORT, or unset { $from } to connect directly
err-proxy-not-url = it is not a URL ({ $detail })
err-proxy-scheme = the { $scheme } scheme is not supported (only http:// proxies)
err-proxy-no-host = it has no host
err-proxy-userinfo-chars = the user name or password in it holds a \, /, ? or #, which a URL takes only percent-encoded there: write \ as %5C (DOMAIN%5Cuser), / as %2F, ? as %3F and # as %23
err-tls-setup = cannot set up TLS: { $detail }
# Where sign-ins are kept: the keyring or the login file; { $why } and { $kind } are the system's words
err-store-choice = STEPWISE_TOKEN_STORE must be keyring, file or auto, not { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, but the keyring cannot be used: { $why }. { $fix }
err-store-nowhere = there is neither a keyring nor a data directory to keep the token in. Set HOME, or give a token with --token-file
err-store-no-data-dir = there is no data directory to keep the token in; set HOME
err-store-encode = cannot encode the login: { $detail }
err-store-unreadable = the login kept for { $gateway } cannot be read. Run `stepwise logout`, then `stepwise login`
err-store-too-slow = the keyring did not answer within { $secs } s. Unlock it, or set STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = the keyring refused an entry for { $gateway }: { $why }
err-store-keyring-read = cannot read the login from the keyring ({ $name }): { $why }. { $fix }
err-store-keyring-write = cannot keep the login in the keyring ({ $name }): { $why }. { $fix }
err-store-keyring-too-small = the login is too long for the keyring ({ $name }), which holds at most { $max } bytes per entry. Set STEPWISE_TOKEN_STORE=file to keep it in a file
err-store-keyring-remove = cannot remove the login from the keyring ({ $name }): { $why }
keyring-no-bus = no desktop session bus (D-Bus) can be reached, so no keyring can be asked (an SSH or service session, or a container, has none)
keyring-locked = the keyring is locked, or its unlock prompt was dismissed
keyring-no-service = no keyring service (Secret Service, such as GNOME Keyring or KWallet) answers
keyring-malformed = the secret kept there is damaged
keyring-other = the keyring answered: { $detail }
keyring-fix-no-bus = Run stepwise in the desktop session, or set STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Unlock it, or set STEPWISE_TOKEN_STORE=file
keyring-fix-start = Unlock or start it, or set STEPWISE_TOKEN_STORE=file
err-store-file-damaged = the login file { $path } is damaged: it is not the JSON stepwise writes (it was read, but not understood). It holds the kept logins of every gateway, and none of them can be used: move it aside (or remove it)
err-login-file-damaged = { $why }, then run this command again
err-store-file-read = cannot read the login file { $path }: { $kind }. Check its permissions
err-store-file-in-the-way = cannot read the login file { $path }: { $kind }. Move what is in the way, so that the data folder is a folder
err-store-file-is-folder = cannot read the login file { $path }: it is a folder, not a file. Move or remove that folder (stepwise writes its logins to a file of that name), then sign in again
err-store-file-remove = cannot remove the login file { $path }: { $kind }
err-store-file-folder = cannot create the folder of the login file { $path }: { $kind }. Check the data directory's permissions
err-store-file-create = cannot create the login file { $path }: { $kind }. Check the data directory's permissions
err-store-file-write = cannot write the login file { $path }: { $kind }. Check the data directory's permissions
err-store-file-replace = cannot replace the login file { $path }: { $kind }. Check the data directory's permissions
# Signing in from a plain terminal: stepwise login, logout and auth status
err-login-no-gateway = { $command } needs a gateway: give --api URL (or STEPWISE_API, or `api` in the config file). The embedded simulator needs no sign-in
cli-api-from-env = The gateway's address came from STEPWISE_API, not from --api: fix it there, or give --api (which wins)
cli-api-from-config = The gateway's address came from `api` in the config file { $path }, not from --api: fix it there, or give --api (which wins)
err-login-cancelled = sign-in cancelled; nothing was kept
err-login-keep-failed = keeping the token failed: { $detail }
err-login-read-failed = reading the token failed: { $detail }
err-login-terminal = cannot read the token from the terminal: { $kind }. Give it on standard input: `stepwise login --with-token < token.txt`
err-login-stdin = cannot read the token from standard input: { $kind }. Give it as text, one line
err-login-token-lines = standard input holds several lines, and a token is one: give the token alone, on one line (a token wrapped in a mail or a terminal must be joined again); nothing was kept
err-login-token-refused = the gateway at { $gateway } refused this token (HTTP 401), so it was not kept. Ask whoever runs the gateway for its current token
err-login-token-dropped = the token was not kept: the gateway at { $gateway } answers as if no token reached it (its challenge names no error), and the call went through the proxy { $proxy }, which may drop the Authorization header, so whether the gateway takes the token is not known. Set NO_PROXY={ $host } if the gateway can be reached without the proxy, or ask who runs the proxy to pass the Authorization header
err-login-token-untried-not-kept = the token was not kept, as it could not be tried: { $why }. Keep it once the proxy lets the request through (or NO_PROXY skips it)
err-login-token-refused-signin = the gateway at { $gateway } refused this token (HTTP 401), so it was not kept. This gateway offers sign-in, whose tokens are renewed by themselves: run `stepwise login` (without --with-token)
err-login-refused-through-proxy = The call went through the proxy { $proxy } (from { $from }), which may drop the Authorization header on the way, so that the gateway saw no token: set NO_PROXY={ $host } and try again, if the gateway can be reached without the proxy, before anything else
err-login-token-scope = the gateway at { $gateway } took this token, but says it lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope), so the steps would be refused with it: it was not kept. Ask whoever gives the tokens for one with that scope
err-login-token-scope-unnamed = the gateway at { $gateway } took this token, but says it lacks a scope it does not name (its WWW-Authenticate: insufficient_scope), so the steps would be refused with it: it was not kept. Ask the gateway's operator which scope it wants, and whoever gives the tokens for one with it
err-login-kept-unchanged = { $words }. The login kept before for this gateway is unchanged
err-login-no-token = standard input holds no usable token: give one line of visible characters (no spaces), at most 8 KiB
err-logout-failed = removing the token failed: { $detail }
err-logout-unreached = revoking the login at the identity provider failed ({ $why }), so it is kept here: its refresh token stays valid at the provider, and `stepwise logout` can revoke it once the provider can be reached. To forget it here without revoking it, run `stepwise logout --forget`
err-logout-wait = revoking the login at the identity provider failed for now ({ $why }), and the provider asks to wait { $wait }, so it is kept here: run `stepwise logout` again after that wait to revoke it. To forget it here without revoking it, run `stepwise logout --forget`
err-logout-proxy = revoking the login at the identity provider failed: { $words }. The login is kept here until `stepwise logout` can revoke it; to forget it here without revoking it, run `stepwise logout --forget`
err-logout-unreached-access = revoking the login at the identity provider failed ({ $why }), so it is kept here: its token stays valid at the provider until it expires, and `stepwise logout` can revoke it once the provider can be reached. To forget it here without revoking it, run `stepwise logout --forget`
# The gateway's device sign-in: discovery and the identity provider's answers; { $said } is the provider's own error
err-signin-endpoint-device = address
err-signin-endpoint-token = token address
err-signin-endpoint-verification = verification address
err-signin-address-not-url = not a URL
err-signin-address-plain-http = plain http behind an https gateway
err-signin-address-not-http = not an http(s) URL
err-signin-address-no-host = no host
err-signin-address = the gateway's sign-in { $what } { $url } is not usable: { $why }. Tell the gateway's operator, or sign in with `stepwise login --with-token`
err-signin-address-provider = the identity provider's sign-in { $what } { $url } is not usable: { $why }. The code cannot be approved there: tell whoever runs the identity provider
err-signin-discovery-status = the gateway at { $gateway } answered HTTP { $status } to the sign-in discovery ({ $path }). Retry later, or sign in with `stepwise login --with-token`
err-signin-discovery-blocked = the sign-in discovery at { $gateway } got a web page with HTTP { $status }{ $said }, not the gateway's answer: something in front of the gateway (a firewall, a web application firewall or a reverse proxy) refused it, so whether the gateway offers sign-in is not known. Ask who runs the network whether it blocks this address
err-signin-discovery-silent = the gateway at { $gateway } took the connection, but its sign-in discovery ({ $path }) did not answer in time. Retry later; if it goes on, tell the gateway's operator
err-signin-discovery-named = the gateway at { $gateway } names its sign-in metadata at { $url } (in the challenge of its HTTP 401), and that address could not be used ({ $met }): the gateway's own answer was fine, its sign-in address is not. Tell the gateway's operator; if you know this gateway's identity provider, give it with --issuer (or STEPWISE_ISSUER, `issuer` in the config file)
named-met-page = a web page, not JSON metadata
named-met-not-http = it is no http(s) address
named-met-no-server = its metadata names no authorization server
err-signin-discovery-not-json = the gateway's sign-in discovery document ({ $path }) is not valid JSON. Tell the gateway's operator, or sign in with `stepwise login --with-token`
err-signin-issuer-not-json = the identity provider's metadata ({ $url }) is not valid JSON: check --issuer (or STEPWISE_ISSUER) if one is given, else tell the gateway's operator; or sign in with `stepwise login --with-token`
err-signin-issuer-page = the identity provider's metadata ({ $url }) is a web page{ $said }, not its JSON: the address is a web site or a portal, not the identity provider. Check --issuer (or STEPWISE_ISSUER) if one is given, else tell the gateway's operator; if a portal answers in the provider's place, ask whoever runs the network
err-signin-discovery-missing = the gateway's sign-in discovery document has no { $field }: it does not offer device sign-in. Sign in with `stepwise login --with-token`
err-login-no-device = --device asks for device sign-in, and the identity provider for { $gateway } offers none (its metadata has no device_authorization_endpoint). Sign in without --device on a machine where a browser can open, or keep a token given by whoever runs the gateway (`stepwise login --with-token`)
err-signin-not-offered-status = the gateway at { $gateway } does not offer sign-in (no /.well-known/oauth-authorization-server, HTTP { $status }). If --api is right, it takes a fixed token from whoever runs it: keep that token with `stepwise login --with-token`
err-signin-not-offered = the gateway at { $gateway } does not offer sign-in (no /.well-known/oauth-authorization-server). If --api is right, it takes a fixed token from whoever runs it: keep that token with `stepwise login --with-token`
err-login-not-needed = the gateway at { $gateway } offers no sign-in, and it answered without a token: it needs none here, so there is nothing to sign in to or to keep. Run `stepwise steps --car ID` as it is
err-login-refused-at-once = signed in, but the gateway at { $gateway } refused the token the identity provider just issued (HTTP 401, tried once): it takes none of this provider's tokens as they are asked for. Ask whoever runs the gateway which audience and scopes it wants, and give the audience with --audience or `audience` in the config file; the login is kept until then (`stepwise logout` forgets it)
err-login-scope-at-once = signed in, but the gateway at { $gateway } says the token the identity provider just issued lacks the scope { $scope } (its WWW-Authenticate: insufficient_scope, tried once), so the steps would be refused with it. { $why } The login is kept until then (`stepwise logout` forgets it)
login-scope-not-granted = The provider granted only { $granted }: ask its administrator to grant { $scope } to the client stepwise.
login-scope-asked = The sign-in asked for { $scope }, so signing in again asks for the same: ask the provider's administrator whether it grants { $scope } to stepwise, or the gateway's operator which scope or audience it wants.
login-scope-not-asked = Sign in again asking for it: `stepwise login --scope "{ $ask }"` (or `scopes` in the config file).
err-signin-too-large = the answer of { $url } is larger than { $kib } KiB. Check that --api points at a steps gateway
err-signin-compressed-proxy = the sign-in call to { $url } came back compressed ({ $encoding }) through the proxy { $proxy }, though stepwise asks for answers as they are: the proxy, or the server behind it, compresses them. Ask who runs the proxy, or tell the gateway's operator; set NO_PROXY={ $host } if it can be reached without the proxy, which also shows whose doing it is
err-signin-compressed = the sign-in call to { $url } came back compressed ({ $encoding }), though stepwise asks for answers as they are: something in front of the identity provider compresses them. Tell the gateway's operator
err-signin-redirected = the sign-in call to { $url } was answered with a redirect to { $to }; stepwise sends no sign-in code or token on to another address. Ask the gateway's administrator for the sign-in provider's own address
err-signin-code-refused = the identity provider refused to give a code ({ $said }). Retry later, or sign in with `stepwise login --with-token`
err-signin-code-busy = the identity provider cannot give a code for now ({ $said }). Wait a minute and run `stepwise login` again, or sign in with `stepwise login --with-token`
err-signin-code-busy-wait = the identity provider cannot give a code for now ({ $said }) and asks to wait { $wait }. Run `stepwise login` again after that wait
err-signin-metadata-busy = the identity provider at { $issuer } cannot give its sign-in metadata for now (HTTP { $status }): it is busy or limiting requests, and the issuer is right. Retry in a minute
err-signin-metadata-busy-wait = the identity provider at { $issuer } cannot give its sign-in metadata for now (HTTP { $status }) and asks to wait { $wait }: it is busy or limiting requests, and the issuer is right. Retry after that wait
err-signin-not-device-code = the identity provider's answer at { $url } is not a device code (RFC 8628). Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
err-signin-device-code-lacks = the identity provider's answer at { $url } is a device code without its { $member } (RFC 8628 §3.2), so the sign-in cannot go on. Tell whoever runs the provider
err-signin-bad-device-code = the identity provider gave an unusable device code. Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
err-signin-unsafe-user-code = the identity provider gave a code that cannot be shown safely ({ $code }). Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
err-signin-not-token-answer = the identity provider's token answer is not usable: not a token answer (RFC 6749). Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
err-signin-not-bearer = the identity provider's token answer is not usable: the token is not a Bearer token. Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
err-signin-token-characters = the identity provider's token answer is not usable: the token has characters a header cannot carry. Check the issuer's address (--issuer, STEPWISE_ISSUER or `issuer` in the config file) if one is given, else tell the gateway's operator
err-signin-token-empty = the identity provider's token answer is not usable: its access_token is empty. Tell whoever runs the provider; if an issuer is given (--issuer, STEPWISE_ISSUER or `issuer` in the config file), check that it is the right one
err-signin-stopped = the identity provider stopped the sign-in ({ $said }). Run `stepwise login` again
err-signin-grant-unsupported = the identity provider does not serve signing in with a code on another device ({ $said }): signing in this way again gets the same. Sign in in a browser instead where it offers that (`stepwise login` without --device, on a machine with a desktop), or keep a token with `stepwise login --with-token`; tell whoever runs the provider if the device flow should work
err-signin-code-too-short = the identity provider's code lasts { $lives }, but the provider asks to be polled only every { $every }: the code expires before it can be asked for once, so no approval can get through (nothing was polled). Tell whoever runs the provider: its device codes' lifetime or polling interval is set wrong
err-signin-code-expired-early = the identity provider said the code expired after { $after }, though it gave it { $lives }: no approval could have come sooner. Its clock or its code lifetime is off (or the code was used already): tell whoever runs the provider
err-signin-code-lifetime-none = the identity provider's device code lasts { $said } s by its answer (expires_in): it is over before anyone can approve it, so nothing was polled. Tell whoever runs the provider: its device codes' lifetime is set wrong
err-signin-poll-failing = while the code waited for approval, the identity provider failed { $times } times in a row ({ $said }), so the sign-in was given up. Wait { $wait }, then sign in again for a new code; if it persists, tell whoever runs the provider
err-signin-poll-failing-page = while the code waited for approval, the identity provider's token address was answered { $times } times in a row with a web page ({ $said }): something in front of the provider (a load balancer or a reverse proxy) is failing, so the sign-in was given up. Wait { $wait }, then sign in again for a new code; if it persists, tell whoever runs the provider
err-signin-limited = the identity provider is limiting requests (HTTP 429) and asks to wait { $wait }, longer than the code lasts. Run `stepwise login` again after that wait
err-signin-refresh-failed = the identity provider could not refresh the token ({ $said }). Retry in a minute
err-signin-refresh-failed-wait = the identity provider could not renew the token for now ({ $said }) and asks to wait { $secs } s. Retry then
err-signin-renewal-lost = the token renewal sent to { $url } got no answer (the connection closed or stayed silent after the request): the identity provider may have renewed the login then, spending the refresh token kept here. Retry once; if it then says the login was used up, sign in again with `stepwise login`
err-signin-renewal-lost-proxy = the token renewal got no answer: { $why }. If the renewal reached the identity provider, it may have spent the refresh token kept here: once the proxy passes requests, retry; if it then says the login was used up, sign in again with `stepwise login`
err-signin-keeping-failed = keeping the token failed: { $detail }. Sign in again
err-signin-opening-failed = opening the token store failed: { $detail }. Sign in again
err-over-revoked = the sign-in for { $gateway } expired or was revoked ({ $said })
err-over-spent = the sign-in for { $gateway } was used up by an earlier renewal whose answer was lost on the way ({ $said }): the identity provider most likely renewed it then, and the refresh token kept here is spent
err-over-marked = the identity provider ended the sign-in for { $gateway } ({ $said })
err-over-client-refused = the identity provider refuses the client id { $client } of the sign-in for { $gateway } ({ $said }): it does not know it, or no longer lets it renew logins. Set the id registered for stepwise there with --client-id ID or `client_id` in the config file, or ask the provider's administrator whether this client is still allowed
err-over-no-renewal = the identity provider does not let the client id { $client } renew the sign-in for { $gateway } ({ $said }): each sign-in lasts as long as its token, and asking again will not change that. To sign in less often, ask the provider's administrator to allow refresh tokens for this client
err-over-renewal-refused = the identity provider refused to renew the sign-in for { $gateway } ({ $said }), and would refuse the same request again
err-over-refused-fresh = the gateway refuses even a token the identity provider just renewed: it takes none of this provider's tokens as they are asked for, and signing in the same way again gets the same. Ask whoever runs the gateway which audience and scopes it wants, and give the audience with --audience or `audience` in the config file
err-over-refused-new = the gateway refuses a token the identity provider issued minutes ago, one that cannot be renewed: it takes none of this provider's tokens as they are asked for, and signing in the same way again gets the same. Ask whoever runs the gateway which audience and scopes it wants, and give the audience with --audience or `audience` in the config file
err-over-refused-unseen = the gateway answers as if no token reached it (its challenge names no error), even with one the identity provider has just given: something between this machine and the gateway (a proxy, a load balancer) may drop the Authorization header, or the gateway takes none of this provider's tokens. Ask whoever runs the network and the gateway; if the token is the cause, give the audience the gateway wants with --audience or `audience` in the config file
err-over-no-token-address = the kept login has no usable token address

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = warning
doctor-mark-failed = failed
doctor-mark-skipped = skipped
# The name of each check, in the order they are shown.
doctor-check-config = Config file
doctor-check-device-id = Device id
doctor-check-gateway = Gateway address
doctor-check-dns = Name resolution
doctor-check-proxy = Proxy
doctor-check-tcp = TCP connect
doctor-check-tls = TLS
doctor-check-client-cert = Client certificate
doctor-check-token = Token
doctor-check-clock = Clock
doctor-check-first-list = First list
doctor-check-refresh = Refresh by stepsID
doctor-check-next-step = Next step
doctor-check-status-filter = Status filter
doctor-check-error-body = Error body
doctor-check-events = Live events
doctor-check-guidance = Guidance pages
doctor-summary = { $failed } failed, { $warnings ->
        [one] { $warnings } warning
       *[other] { $warnings } warnings
    }, { $ok } ok, { $skipped } skipped
doctor-target-unusable = (settings unusable)
doctor-target-embedded = the embedded simulator
doctor-skip = not run
doctor-skip-settings = not run: the settings are unusable
doctor-skip-no-gateway = not run: no gateway
doctor-skip-bad-address = not run: no usable gateway address
doctor-skip-unreachable = not run: the gateway cannot be reached
doctor-skip-proxy = not run: no way through the proxy
doctor-skip-insecure = not run: no secure connection to the gateway
doctor-skip-ca-file = not run: the CA file is unusable
doctor-skip-run-limit = not run: doctor's { $limit } s run limit was reached (its slowest answer so far took { $secs } s)
doctor-config-no-dir = no config directory on this system: defaults apply
doctor-config-none = none at { $path }: defaults apply
doctor-device-kept = kept in { $path }
doctor-device-no-folder = not kept: no data folder is known on this machine, so each run is a new device to the gateway
doctor-config-read = { $path } read
doctor-config-fix = Fix the file, or point STEPWISE_CONFIG at another one
doctor-gateway-no-sim = no gateway configured, and the embedded simulator cannot start: { $error }
doctor-gateway-unusable = { $address } is not usable: { $why }
doctor-gateway-fix = Give --api like https://gateway.example or http://127.0.0.1:8080
doctor-gateway-fix-env = Fix STEPWISE_API, where this address came from (or give --api, which wins), like https://gateway.example or http://127.0.0.1:8080
doctor-gateway-fix-config = Fix `api` in the config file, where this address came from (or give --api, which wins), like https://gateway.example or http://127.0.0.1:8080
doctor-gateway-embedded = none configured: the embedded simulator at { $url }
doctor-gateway-from-env = { $url } (from STEPWISE_API)
doctor-gateway-from-config = { $url } (from `api` in the config file)
doctor-url-scheme = only http and https are supported
doctor-url-no-host = it has no host
doctor-proxy-none = none: direct connection
doctor-proxy-no-proxy = NO_PROXY skips the proxy for { $host }: direct connection
doctor-proxy-other-scheme = none for { $scheme }:// gateways: { $var } is set, but it serves only the other scheme's gateways; direct connection. If this gateway must go through that proxy, set { $wanted } (or ALL_PROXY)
doctor-proxy-used = { $proxy } (from { $from })
doctor-proxy-407 = { $proxy } answered the gateway call with 407 Proxy Authentication Required: it wants a user name and password
doctor-proxy-407-refused = { $proxy } answered the gateway call with 407 Proxy Authentication Required: it refused the user name and password of the proxy variable
doctor-proxy-401 = { $proxy } answered the gateway call with HTTP 401 and a login (Basic): the proxy's own, or a web server's behind it
doctor-proxy-401-refused = { $proxy } answered the gateway call with HTTP 401 and a login (Basic) although the proxy variable carries a user name and password
doctor-proxy-answered = { $proxy } answered the gateway call itself with HTTP { $status }: the request never reached the gateway
doctor-proxy-401-page = the gateway call through { $proxy } got an HTTP 401 web page with no challenge: the proxy's own, or one it passed on from in front of the gateway (a portal, a reverse proxy), which wants a sign-in of its own
doctor-proxy-bare-401 = the gateway call through { $proxy } got a bare HTTP 401, with no body and no challenge: judged below as the gateway's (a token), though the proxy itself may have given it
doctor-proxy-gateway-down = { $proxy } took the gateway call and answered HTTP { $status }: it could not reach the gateway, which does not run (see Error body)
doctor-proxy-tunnel = { $proxy } (from { $from }) { $why }
doctor-tunnel-timeout = did not answer CONNECT within { $secs } s
doctor-tunnel-broken = broke off the CONNECT request: { $error }
doctor-tunnel-refused = refused the tunnel: { $status }
doctor-tunnel-limited = answered CONNECT with { $status } itself: the proxy is limiting requests (no rule against this destination)
doctor-tunnel-none = answered CONNECT with { $status }: it opens no tunnels at all, so it is a web server, or a proxy that cannot carry https://. The gateway was not asked
doctor-tunnel-not-http = answered CONNECT with no HTTP ({ $said }): the proxy variable names something that is no HTTP proxy
doctor-tunnel-closed = closed the connection without answering CONNECT: it is not known whether it would let the tunnel through. Retry; if it persists, ask who runs the proxy whether it lets CONNECT to this host through
doctor-tunnel-unreached = could not reach the gateway through the tunnel: { $status }
doctor-tunnel-password-wanted = wants a user name and password for the tunnel ({ $status }): put them in the proxy variable as http://user:password@proxy:port
doctor-tunnel-password-refused = refused the user name and password of the proxy variable ({ $status }): check them
doctor-tunnel-portal = answered the tunnel with { $status } and no challenge: a sign-in of its own (a portal's), which no user name and password in the proxy variable answers. Sign in to it in a browser on this machine, or ask who runs the proxy
doctor-tunnel-windows = asks for Windows sign-in for the tunnel ({ $status }, Negotiate or NTLM), which stepwise cannot give: no user name and password in the proxy variable answers it. Ask who runs the proxy to let this host through without it, or set NO_PROXY for it if it can be reached directly
doctor-fix-proxy = Check the proxy variable, or set NO_PROXY for this host
doctor-fix-tunnel-refused = The proxy variable is right: the proxy answered, and refuses this destination. Ask who runs the proxy to let CONNECT to { $host } through, or set NO_PROXY={ $host } if the gateway can be reached directly
doctor-fix-tunnel-none = Check { $from }: it must name an HTTP proxy that tunnels https (host and port; often port 3128 or 8080)
doctor-fix-tunnel-retry = Retry; if it persists, ask who runs the proxy, or set NO_PROXY={ $host } if the gateway can be reached directly
doctor-fix-tunnel-unreached = The proxy could not reach { $host }: check that the gateway runs and that the host in --api is right; if it is, ask who runs the proxy
doctor-dns-address = { $ip } is an address: nothing to resolve
doctor-dns-address-proxy = the proxy { $ip } is an address: nothing to resolve (the proxy resolves the gateway's name)
doctor-dns-resolved-proxy = the proxy { $host } → { $addrs } (the proxy resolves the gateway's name)
doctor-dns-failed = cannot resolve { $host }: { $error }
doctor-dns-failed-proxy = cannot resolve the proxy { $host }: { $error }
doctor-dns-fix = Check the host name in --api (or the proxy variable) and this machine's DNS settings
doctor-dns-fix-proxy = Check the proxy's name in the proxy variable and this machine's DNS settings, or set NO_PROXY for the gateway's host if it can be reached without the proxy
doctor-proxy-unresolved = { $proxy } (from { $from }): its name is unknown to this machine's DNS
doctor-dns-timeout = no answer for { $host } within { $secs } s
doctor-dns-timeout-proxy = no answer for the proxy { $host } within { $secs } s
doctor-dns-timeout-fix = Check this machine's DNS settings
doctor-tcp-no-address = no address
doctor-tcp-timeout = { $addr }: no answer within { $secs } s
doctor-tcp-failed = cannot connect to the gateway: { $error }
doctor-tcp-failed-proxy = cannot connect to the proxy: { $error }
doctor-tcp-fix = Check that the gateway runs, the port in --api, and any firewall
doctor-tcp-connected = connected to { $addr } in { $ms } ms
doctor-tcp-connected-proxy = connected to the proxy at { $addr } in { $ms } ms
doctor-tls-plain = not used: the address is plain http://
doctor-tls-skipped-cert = not tried: the client certificate is unusable
doctor-tls-bad-name = { $host } is not a usable TLS name
doctor-tls-certificate = certificate
doctor-tls-issued = certificate for { $subject }, issued by { $issuer }
doctor-tls-timeout = no TLS handshake within { $secs } s
doctor-tls-timeout-fix = Check that the port in --api speaks TLS; if it does, tell the gateway's operator
doctor-tls-trusted = { $version }; { $issued }; trusted
doctor-tls-trusted-left = { $version }; { $issued }, { $days ->
        [one] { $days } day
       *[other] { $days } days
    } left; trusted
doctor-tls-ends-soon = Tell the gateway's operator that its certificate ends soon
doctor-tls-asks-cert = { $issued }; trusted; the gateway asks for a client certificate
doctor-tls-unknown-issuer = { $issued }: the issuer is not trusted here (unknown issuer)
doctor-tls-unknown-issuer-proxy = { $issued }: the issuer is not trusted here (unknown issuer) (through the proxy { $proxy }, which may inspect TLS)
doctor-tls-add-ca-file = Add --ca-file { $path }
doctor-tls-add-ca-of = Add --ca-file FILE, FILE being the certificate (PEM) of { $issuer }; ask the network's administrator for it
doctor-tls-add-ca = Add --ca-file FILE with the issuing authority's certificate (PEM)
doctor-tls-use-ca-file = Use --ca-file { $path }: the authority file in use ({ $given }) did not sign this certificate
doctor-tls-ca-file-not-issuer = The authority file in use ({ $given }) did not sign this certificate: it may hold a server certificate instead of its authority, or an authority made again since. Take the gateway's current authority certificate (PEM) from its operator
doctor-tls-intermediate-missing = The authority file in use ({ $given }) does not hold { $issuer }, which signed this certificate, and the gateway sent no intermediate authority with it. Either the gateway does not send its intermediate: tell its operator to serve the full chain (certificate, then intermediates); meanwhile adding { $issuer }'s certificate to the file works. Or the file holds another authority: take the gateway's authority certificate (PEM) from its operator
doctor-tls-expired = { $issued }: expired
doctor-tls-expired-ago = { $issued }: expired { $days ->
        [one] { $days } day
       *[other] { $days } days
    } ago
doctor-fix-date-operator = Check this machine's date; if it is right, tell the gateway's operator
doctor-tls-not-yet = { $issued }: not valid yet
doctor-fix-date = Check this machine's date and time
doctor-tls-wrong-host = { $issued }: not made for the host in --api
doctor-tls-wrong-host-fix = Use in --api the host name or address the certificate was made for
doctor-tls-wrong-host-names = { $issued }: made for { $names }, not for the host in --api
doctor-tls-wrong-host-names-fix = Use in --api a name the certificate was made for ({ $names }), or have the gateway's certificate made for the name you use
doctor-tls-no-host-names = { $issued }: it names no host (no subject alternative name; a common name alone is not read)
doctor-tls-no-host-names-fix = Have the gateway's certificate reissued with its host name as a subject alternative name; no --api can fix this
doctor-tls-old-version = { $issued }: an X.509 version 1 certificate, which TLS no longer takes
doctor-tls-old-version-fix = Have the gateway's certificate reissued as version 3, with its host name as a subject alternative name; no --api, --ca-file or client certificate can fix this
doctor-tls-closed = the server took the connection, then closed it during the TLS handshake: it may not speak TLS on this port, or it refuses this client. Check the port in --api
doctor-tls-authority-as-server = { $issued }: an authority's certificate (CA:TRUE) used as the server's own
doctor-tls-authority-as-server-fix = Tell the gateway's operator to serve a server certificate signed by that authority; keep the authority's certificate for --ca-file
doctor-tls-not-tls = what answered does not speak TLS
doctor-tls-not-tls-fix = Check the port, or use http:// if the gateway has no TLS
doctor-tls-refused = the gateway refused the handshake ({ $alert })
doctor-tls-refused-fix = Check --api; if it is right, tell the gateway's operator
doctor-tls-wants-cert = the gateway asks for a client certificate
doctor-fix-client-cert = Give one with --client-cert FILE --client-key FILE
doctor-tls-other = failed: { $error }
doctor-tls-other-fix = Check --api, --ca-file and the client certificate
doctor-tls-proxy-cut = the proxy { $proxy } opened the tunnel to { $host }, then the TLS handshake through it broke off ({ $why }): the proxy, or what is behind it, cut it
doctor-tls-proxy-cut-fix = Ask who runs the proxy whether it lets TLS to this host through, or set NO_PROXY={ $host } if the gateway can be reached without the proxy
doctor-cert-required = none given, and the gateway requires one
doctor-cert-fix-config = Give one with --client-cert FILE --client-key FILE (or client_cert/client_key in the config file)
doctor-cert-not-asked = none given; the gateway did not ask for one
doctor-cert-none = none given
doctor-cert-none-plain = none given (plain http://)
doctor-cert-unusable-plain = not presented on plain http://, but an https:// gateway could not be given it: { $why }
doctor-cert-about = { $path }: { $subject }, issued by { $issuer }
doctor-cert-refused = { $about }: the gateway refused it ({ $alert })
doctor-cert-unsupported = { $about }: the gateway refused it as unsupported; most often it is not made for a client (a server's certificate)
doctor-cert-fix-client-use = Use a certificate issued for client authentication
doctor-cert-expired-said = { $about }: the gateway says it has expired
doctor-cert-not-taken = { $about }: the gateway did not take it
doctor-cert-fix-authority = Use a certificate issued by the authority the gateway trusts
doctor-cert-expired = { $about }: expired { $days ->
        [one] { $days } day
       *[other] { $days } days
    } ago
doctor-cert-fix-new = Ask for a new client certificate
doctor-cert-not-yet = { $about }: not valid yet
doctor-cert-ends-soon = { $about }: { $days ->
        [one] { $days } day
       *[other] { $days } days
    } left
doctor-cert-fix-soon = Ask for a new client certificate soon
doctor-cert-ok-left = { $about }; key matches; { $days ->
        [one] { $days } day
       *[other] { $days } days
    } left
doctor-cert-ok = { $about }; key matches
doctor-source-config-token = the config file's token
doctor-source-config-token-file = the config file's token_file { $path }
doctor-source-nowhere = nowhere
doctor-token-wanted = none given, and the gateway wants one
doctor-token-wanted-said = none given, and the gateway wants one (HTTP 401), saying “{ $said }”
doctor-token-fix-give = Sign in with `stepwise login`, or give one with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
doctor-token-fix-fixed = It offers no sign-in: its token comes from whoever runs it. Keep that token with `stepwise login --with-token`, or give it with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
doctor-token-embedded = none needed by the embedded simulator
doctor-token-not-asked = none given; the gateway did not ask for one
doctor-token-not-checked = none given; not checked: no steps gateway answered
doctor-token-not-checked-unusable = none given; not checked: what answered could not be used (the First list line says how)
doctor-token-none-limited = none given; not checked: requests are limited (HTTP 429)
doctor-token-none-failing = none given; not checked: the answers were failures (HTTP 5xx)
doctor-fix-proxy-password = The proxy wants a user name and password: put them in the proxy variable (http://user:password@proxy:port)
doctor-fix-proxy-password-refused = The proxy refused the user name and password in the proxy variable: check them (characters such as @ : / % in them must be percent-encoded)
doctor-fix-not-a-gateway = This address is not a steps gateway: give --api the base URL that pims/subscription/steps sits under
doctor-fix-client-cert-front = The gateway's TLS front wants a client certificate: give one with --client-cert FILE --client-key FILE
doctor-fix-gateway-failed = The gateway failed: retry in a minute; if it persists, tell the gateway's operator
doctor-fix-call-not-offered = The list works at this --api: the gateway does not offer this call, or something in front of it does not route it. Tell the gateway's operator
doctor-fix-proxy-5xx = The proxy answered with its own error page: it could not reach the gateway. Check the host and port in --api and that the gateway runs; if they are right, ask who runs the proxy
doctor-fix-proxy-loopback = The gateway is on this machine ({ $host }), and { $from } sends its requests to that proxy: it (or a proxy it forwards to) cannot reach this machine's own addresses. Set NO_PROXY={ $host }
doctor-fix-loopback-down = Nothing listens at { $host }:{ $port } on this machine (tried directly): the gateway does not run there, so the proxy could not reach it either. Check that it runs and that the port in --api is right
doctor-guidance-not-a-page = answered 200 with { $kind } and no language: not a guidance page (a portal's catch-all?), so the QR code leads to docs_base_url, or the archived developer pages
doctor-token-embedded-given = from { $source }; not sent to the embedded simulator
doctor-token-expired = from { $source }; expired { $ago } ago
doctor-token-fix-new = Get a new token
doctor-token-login-unreadable = none sent: { $why }
doctor-token-fix-login-damaged = Once it is moved aside, sign in again with `stepwise login`, or give a token with --token-file PATH, STEPWISE_TOKEN or `token` in the config file
doctor-token-login-unreadable-unneeded = none sent, and the gateway answered without one. Kept login: { $why }
doctor-token-expired-taken = from { $source }; its expiry says it ended { $ago } ago, yet the gateway took it
doctor-token-fix-new-soon = Get a new token before the gateway starts to refuse this one
doctor-token-refused = from { $source }; the gateway refused it (HTTP 401)
doctor-token-dropped = from { $source }; the gateway answers as if no token reached it (its challenge names no error), and the request went through the proxy { $proxy }: the proxy may drop the Authorization header
doctor-token-refused-said = from { $source }; the gateway refused it (HTTP 401), saying “{ $said }”
doctor-token-scope = from { $source }; the gateway took it, but says it lacks a scope (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Get a new token, or check that it is meant for this gateway
doctor-token-fix-dropped = A new token would be refused the same: set NO_PROXY for this host if the gateway can be reached without the proxy, or ask who runs the proxy to pass the Authorization header
doctor-token-fix-beside-file = A login kept for this gateway is taken by it (tried just now), and --token-file wins over it: leave --token-file out to use that login, or put this gateway's current token in that file
doctor-token-fix-beside-environment = A login kept for this gateway is taken by it (tried just now), and STEPWISE_TOKEN wins over it: unset STEPWISE_TOKEN to use that login, or set it to this gateway's current token
doctor-token-fix-beside-refused = The login kept for this gateway is refused too (tried just now): get this gateway's current token, and renew the kept login (`stepwise login`, or `stepwise login --with-token` where the gateway offers no sign-in)
doctor-token-expires = from { $source }; expires in { $within }
doctor-token-not-tried = from { $source }; not tried (the gateway was not reached)
doctor-token-not-tried-unusable = from { $source }; not judged: what answered could not be used (the First list line says how)
doctor-token-failing = from { $source }; not judged: every answer was a failure (HTTP 5xx), which says nothing of the token
doctor-token-limited = from { $source }; not tried: requests are limited (HTTP 429)
doctor-token-took = from { $source }; the gateway took it (its expiry is not written in it)
doctor-token-unchecked = from { $source }; sent, but the gateway answers without any token too: it checks none here, so it neither took nor refused this one
doctor-token-renewed = from { $source }; the gateway refused the token kept (HTTP 401) and took the one renewed for it, as every command renews it
doctor-token-renewal-failed = from { $source }; the gateway refused it (HTTP 401), and renewing it, as every command would, failed: { $why }
doctor-token-due-renewal-failed = from { $source }; its token had expired, and renewing it, as every command would, failed: { $why }
doctor-why-timeout = no answer within { $secs } s
doctor-http-setup = cannot set up HTTP: { $error }
doctor-no-answer = no usable answer: { $why }
doctor-not-a-list = the answer is not a steps list: { $error }
doctor-not-a-step = the answer is not a step: { $error }
doctor-fix-steps-gateway = Check that --api points at a steps gateway
doctor-fix-not-a-list-here = --api answers as a steps gateway (the Error body line): its answer for this carAssociationID is what is wrong. Tell the gateway's operator; doctor with another vehicle's id shows whether others list
doctor-fix-proxy-html = The answer came through the proxy: the page may be the proxy's own (a login or portal page). Set NO_PROXY={ $host } if the gateway can be reached without the proxy; else check that --api points at a steps gateway
doctor-list-cut = the list was cut short: { $error }
doctor-fix-cut = Retry; if it stays cut, the gateway or something on the way (a proxy) cuts its answers: tell the gateway's operator
doctor-fix-no-answer = Retry; if it persists, the gateway or something in front of it (a proxy, a load balancer) drops this call: tell the gateway's operator
doctor-fix-unusable = An answer came, but none stepwise can use, and asking again gets the same: do what the words above say
doctor-fix-network-proxy = A proxy of this network answered, though none is set here: set HTTPS_PROXY (HTTP_PROXY for http://) to http://user:password@proxy:port with its address, or ask the network's administrator
doctor-fix-limited = The gateway is limiting requests: wait a minute, then run doctor again
doctor-fix-wait = The gateway asks to wait { $secs } s: run doctor again after that; if it persists, tell the gateway's operator
doctor-fix-refused-front = Something in front of the gateway (a firewall, a WAF or a reverse proxy) refused the request: ask who runs it to let this machine through
doctor-fix-refused-proxy = The proxy, or something in front of the gateway, refused the request: ask who runs the proxy whether it lets this address through, or set NO_PROXY for this host if the gateway can be reached without the proxy
doctor-fix-proxy-bare-401 = Give the gateway's token first (see the Token line); if the 401 stays with a token, ask who runs the proxy whether it wants a sign-in of its own, or set NO_PROXY={ $host } if the gateway can be reached directly
doctor-error-body-no-answer = no usable answer from the gateway: { $why }
doctor-error-body-no-answer-fix = Check that the gateway runs and is not overloaded, then retry
doctor-error-body-dropped = a request with no id got no answer ({ $why }) where a gateway answers 400 with a JSON message; the first list was asked by carAssociationID all the same
doctor-why-wants-tls = the server at { $base } speaks TLS, and --api says http://
doctor-fix-use-https = Use https:// in --api (the server speaks TLS)
doctor-clock-skipped = not run: no steps gateway answered
doctor-clock-unusable = not run: what answered could not be used (the First list line says how)
doctor-clock-limited = not run: requests are limited (HTTP 429); run doctor again after the wait
doctor-clock-failed = not run: the answer was a failure (HTTP { $status }), with no gateway's list or error body to read the clock from
doctor-error-body-ok = a request with no id gets 400 with a JSON message ({ $message })
doctor-error-body-other-shape = a request with no id gets 400 with a JSON message of another common shape (RFC 7807 or OAuth), which stepwise reads ({ $message })
doctor-error-body-code-only = code only
doctor-error-body-not-json = a request with no id gets 400, but no JSON { $shape } body
doctor-fix-error-json = Tell the gateway's operator: error bodies should be JSON
doctor-fix-error-400 = Tell the gateway's operator: a request with no id should be answered 400 with its error body. Only if the First list line failed too, check that --api points at a steps gateway
doctor-fix-error-400-no-car = This may be no steps gateway at all: run again with --car ID. If the First list line then works, tell the gateway's operator that a request with no id should be answered 400; if not, check that --api points at a steps gateway
doctor-error-body-401 = not checked: the gateway wants a valid token first (HTTP 401)
doctor-error-body-unjudged = not judged: the first list found no steps gateway at this address either
doctor-error-body-unjudged-failed = not judged: the first list got no answer either
doctor-error-body-unjudged-unusable = not judged: the first list's answer could not be used either
doctor-error-body-proxy = not judged: the proxy answered in the gateway's place
doctor-error-body-gateway-down = not judged: the gateway does not run at { $host }:{ $port } (nothing listens there, tried directly)
doctor-error-body-limited = not judged: requests are limited (HTTP 429)
doctor-error-body-other = a request with no id gets { $answer } instead of 400
doctor-error-body-failing = not judged: a request with no id gets { $answer }, a failure that says nothing of how the gateway answers a bad request
doctor-first-no-car = not tried: no carAssociationID given
doctor-first-no-car-fix = Run again with --car ID to try the steps calls
doctor-first-401 = HTTP 401: the gateway wants a valid token
doctor-first-proxy-login = HTTP 401 with a login (Basic) from the proxy, not the gateway: the request never reached the gateway
doctor-first-proxy-page = HTTP 401 with a web page and no challenge, through the proxy: the proxy's own, or one it passed on from in front of the gateway (a portal, a reverse proxy), not a gateway's request for a token
doctor-first-proxy-page-401 = HTTP 401 with a web page and no gateway's error body, through the proxy: the proxy's own, or one it passed on from in front of the gateway (a portal, a reverse proxy)
doctor-basic-prompt = HTTP 401 asking for a login that a bearer token cannot answer (a user name and password, or Windows sign-in), without a gateway's error body: a web server's or a reverse proxy's login, not a steps gateway (which takes a bearer token)
doctor-front-401 = HTTP 401 with a web page and no sign-in challenge (no WWW-Authenticate header), without a gateway's error body: something in front of the gateway (a reverse proxy, a web server or a portal) asks for a login of its own; no token was judged
doctor-fix-front-401 = If lists came from this address without a token before, no gateway token is missing: ask who runs the network or the gateway what asks for this login; otherwise, ask them whether the gateway wants a token there
doctor-see-token = See the Token line
doctor-see-proxy = See the Proxy line
doctor-first-fix-car = Check the carAssociationID given with --car
doctor-first-fix-demo = No gateway is configured (no --api, STEPWISE_API or `api` in the config file), so doctor checked the embedded demo, which knows only { $ids }: to check your gateway, give --api URL
doctor-first-fix-filter = The gateway's words name the status filter (stepsStatus), which doctor did not choose: it asked for every step with stepsStatus=all, the contract's default (steps and the wizard then ask without it). Tell the gateway's operator
doctor-first-fix-car-or-api = Its words name no id: check the carAssociationID given with --car; if the Error body line gets the same 404 for a call with no id, --api does not point at the steps gateway (a router's own 404): check --api
doctor-first-no-steps-id = { $count ->
        [one] { $count } step
       *[other] { $count } steps
    } but no stepsID
doctor-first-fix-steps-id = Tell the gateway's operator: the list must carry a stepsID
doctor-first-ok = carAssociationID { $car }: { $count ->
        [one] { $count } step
       *[other] { $count } steps
    } ({ $done } done), stepsID { $steps_id }
doctor-first-slow = The gateway took up to { $secs } s to answer: slow, though within the { $limit } s the wizard waits (a busy gateway, or a slow line)
doctor-refresh-ok = { $count ->
        [one] { $count } step
       *[other] { $count } steps
    }
doctor-refresh-fix = The refreshed list names other steps than the first: tell the gateway's operator
doctor-next-todo = { $name } to do
doctor-next-none = nothing left to do
doctor-next-nothing = nothing
doctor-next-disagrees = { $got }, but the list says { $listed }
doctor-next-fix = Tell the gateway's operator: the next step disagrees with the list
doctor-filter-ok = stepsStatus=todo gives the { $todo ->
        [one] { $todo } step
       *[other] { $todo } steps
    } to do
doctor-filter-bad = stepsStatus=todo gives { $count ->
        [one] { $count } step
       *[other] { $count } steps
    } ({ $stray } not to do); the list has { $todo } to do
doctor-filter-unknown = { $bad }; { $unknown } more of a status outside the contract, which stepwise counts as not done
doctor-filter-fix = Tell the gateway's operator: stepsStatus is not applied
doctor-events-ok = offered, and its first event (the current list) came at once: the wizard follows changes live
doctor-events-silent = the stream opened, but no event came within { $secs } s, though a gateway sends the current list at once: something on the way (a proxy) holds events back. The wizard reconnects, then polls
doctor-events-other-type = the stream opened and sent events of type “{ $kind }”, but none of type steps within { $secs } s: its lists come under another event type than the contract's, and the wizard reads none of them. The wizard reconnects, then polls
doctor-events-no-list-events = the stream opened and sent only events of type “{ $kind }”, with no list in them, and no list within { $secs } s, though a gateway sends the current list at once. The wizard reconnects, then polls
doctor-events-fix-other-type = Tell the gateway's operator: each list must come as `event: steps` (or with no event line), not as “{ $kind }”
doctor-events-cut = the stream closed before its first event was whole (after { $bytes } bytes): the gateway cut it, so the wizard reconnects, then polls
doctor-events-empty = the events call answered and ended without sending anything (0 bytes): it serves no event stream, so the wizard reconnects, then polls
doctor-events-not-text = the stream's bytes are not UTF-8 text: the wizard cuts it, reconnects, then polls
doctor-events-error-event = the first event is an error, not the current list: { $said }
doctor-events-fix-buffered = Ask who runs the proxy to pass text/event-stream through unbuffered (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = No proxy is in use here: tell the gateway's operator that the gateway, or a reverse proxy in front of it, holds events back or does not send the current list at once (nginx: proxy_buffering off)
doctor-events-other-list = the first event is the list of another stepsID than the one asked for: the wizard does not take it
doctor-events-bad-event = the first event is no steps list ({ $error }): the wizard falls back to polling
doctor-events-compressed = the stream came compressed, though stepwise asks for none: the wizard polls instead
doctor-events-fix-compressed = Tell the gateway's operator (or who runs the proxy) to send text/event-stream uncompressed
doctor-events-not-stream = answered, but not with text/event-stream: the wizard polls
doctor-events-page = answered with a web page (HTML), not text/event-stream: something in front of the gateway (a proxy, a firewall) may keep streams out; the wizard polls
doctor-events-fix = Tell the gateway's operator: live events must be Server-Sent Events
doctor-events-fix-page = Ask who runs the network in front of the gateway (a proxy, a firewall) to let text/event-stream through; if nothing is in front, tell the gateway's operator
doctor-events-fix-2346 = Tell the gateway's operator: its events call refuses stepsIDs its list call answers
doctor-events-fix-content = Tell the gateway's operator: each event must carry the steps list of the stepsID asked for, as its data
doctor-events-fix-cut = Tell the gateway's operator (or who runs a reverse proxy in front of it) that its event stream is closed in the middle of its first event
doctor-events-fix-empty = Tell the gateway's operator (or who runs a reverse proxy in front of it) that its events call ends at once without streaming: a proxy may be buffering or cutting it
doctor-events-fix-error-event = Tell the gateway's operator what its event stream said: a stream must start with the current list of the stepsID asked for, which the list call just gave
doctor-events-404 = not offered (404): the wizard polls instead
doctor-events-2346 = refused (404, code 2346): the stream says it has no step for stepsID { $id }, which the list call just gave: the gateway contradicts itself. The wizard polls instead
doctor-events-http = { $answer }: the wizard polls instead
doctor-events-limited = { $answer }: the gateway limits the stream. The wizard waits { $secs } s, as the gateway asks, with every request to it, then opens the stream again: the list on screen is not refreshed meanwhile
doctor-events-limited-unnamed = { $answer }: the gateway limits the stream. The wizard waits as long as the gateway asks, with every request to it, then opens the stream again: the list on screen is not refreshed meanwhile
doctor-events-no-answer = no answer ({ $why }): the wizard opens the stream again, waiting longer each time, and polls only where a list comes meanwhile
doctor-events-proxy-held = no answer through the proxy { $proxy }, though the list calls through it were answered: the proxy holds back an answer that does not end (it buffers the event stream). The wizard polls instead
doctor-events-proxy-own = the proxy { $proxy } answered HTTP { $status } itself to the event stream, though the list calls through it were answered: the proxy does not pass the stream on. The wizard polls instead
doctor-events-fix-proxy-held = Ask who runs the proxy to pass text/event-stream through unbuffered, or set NO_PROXY={ $host } if the gateway can be reached without it
doctor-guidance-ok = offered: the QR code and key 'o' open the gateway's page in the customer's language
doctor-guidance-404 = not offered (404): the QR code leads to docs_base_url, or the archived developer pages
doctor-guidance-http = { $answer }: the QR code leads to docs_base_url, or the archived developer pages
doctor-guidance-no-answer = no answer ({ $why }): the QR code leads to docs_base_url, or the archived developer pages
doctor-clock-no-date = the gateway sends no Date header: the clocks cannot be compared
doctor-clock-bad-date = the gateway's Date header { $date } cannot be read
doctor-clock-ahead = this machine's clock is { $secs } s ahead of the gateway's
doctor-clock-behind = this machine's clock is { $secs } s behind the gateway's
doctor-clock-fix = Check this machine's date and time: if they are right, the gateway's clock is wrong (tell its operator); if not, set this machine's clock (NTP): token and certificate checks depend on it
doctor-clock-fix-gateway = The gateway's clock is wrong: its Date ({ $date }) is before this program was made. Tell the gateway's operator; leave this machine's clock as it is
doctor-clock-fix-ours = This machine's clock is wrong: it says a date before this program was made. Set it (NTP): token and certificate checks depend on it
doctor-clock-ok = within { $secs } s of the gateway's

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPTIONS]
help-cli-value-file = FILE
help-cli-value-path = PATH
help-cli-value-seconds = SECONDS
help-cli-value-dir = DIR
help-cli-value-mode = MODE
help-cli-value-status = STATUS
help-cli-value-shell = SHELL
help-cli-value-lang = LANG
help-cli-value-token = TOKEN
help-cli-value-addr = ADDR
cli-clap-missing-value = a value is required for '{ $arg }' but none was supplied
cli-clap-invalid-value = invalid value '{ $value }' for '{ $arg }'
cli-clap-possible-values = possible values: { $values }
cli-clap-unknown-argument = unexpected argument '{ $arg }'
cli-arg-token-as-argument = login --with-token reads the token from standard input, never from the command line, where the shell's history and the process list keep it (the value given is not shown): `stepwise login --with-token < token.txt`, or run `stepwise login --with-token` and paste it
cli-clap-unknown-command = unknown command '{ $name }'
cli-clap-missing-required = these required arguments are missing: { $args }
cli-clap-only-with = { $given } applies only with { $needed }: add { $needed }, or leave { $given } out
cli-clap-range = give a number from { $low } to { $high }
cli-clap-conflict = the argument '{ $arg }' cannot be used with { $other }
cli-clap-repeated = the argument '{ $arg }' cannot be given more than once
cli-clap-extra-value = unexpected value '{ $value }' for '{ $arg }'
cli-clap-needs-command = '{ $name }' needs a command: { $values }
cli-clap-did-you-mean = did you mean '{ $suggestion }'?
cli-no-watch-command = there is no watch command: watching is the wizard's w key (`stepwise --car ID`, then w; for many vehicles `stepwise fleet --cars FILE`, then w); a script asks `stepwise steps --car ID` again
cli-clap-try-help = For more information, try '--help'.
cli-clap-other = the command line cannot be read

## The manual page's section headings (stepwise man)

man-section-name = NAME
man-section-synopsis = SYNOPSIS
man-section-description = DESCRIPTION
man-section-options = OPTIONS
man-section-extra = EXTRA
man-section-version = VERSION
man-section-authors = AUTHORS
man-section-environment = ENVIRONMENT
man-env-token = The gateway's bearer token (a kept login is used when it is not set)
man-env-docs-url = The dealer's help pages, where the technician's guide links lead (docs_base_url in the config file)
man-env-token-store = Where login keeps tokens: keyring, file or auto (the default)
man-env-config = The configuration file to read instead of the default one (stepwise doctor shows its path)
man-env-log = The log filter, such as debug or stepwise=trace (default info); logs go to the data directory's logs folder
man-env-no-color = When set and not empty, no colour on screen
man-section-files = FILES
man-section-keys = KEYS
man-files-config = The configuration file (STEPWISE_CONFIG names another; on macOS and Windows it is in the system's own folder, which stepwise doctor prints)
man-files-device-id = This installation's device id, sent with every request
man-files-recent = The carAssociationIDs opened last, kept for each gateway and offered on the start screen when the same gateway is used again
man-files-logins = Logins kept by stepwise login when no keyring is used, readable only by the user
man-files-reports = Session reports written with x (--report writes where it says)
man-files-logs = The wizard's logs (STEPWISE_LOG sets how much)
man-files-demo-state = What the demo backend learnt in earlier runs (stepwise demo --fresh forgets it)
man-files-sim-tls = The authority, certificate and key of stepwise serve --tls, unless --tls-dir names another folder
auth-unknown-client = the identity provider does not know the client id { $client } ({ $said }). Set the id registered for stepwise there with --client-id ID or `client_id` in the config file
auth-client-wants-secret = the identity provider wants the client { $client } to authenticate ({ $said }): it is registered there as a confidential client, with a secret, and stepwise signs in as a public client. Ask whoever runs the provider for a public client id for stepwise (no secret, device or browser sign-in allowed), then give it with --client-id ID or `client_id` in the config file
auth-client-not-allowed = the identity provider knows the client id { $client }, but does not let it sign in this way ({ $said }), and it offers stepwise no other way. Ask the provider's administrator to allow the device flow for this client; meanwhile keep a token with `stepwise login --with-token`
auth-client-not-allowed-device = the identity provider knows the client id { $client }, but does not let it sign in with a code on another device ({ $said }). Sign in in a browser instead: `stepwise login` without --device, on a machine with a desktop; or ask the provider's administrator to allow the device flow for this client; or keep a token with `stepwise login --with-token`
auth-client-not-allowed-browser = the identity provider knows the client id { $client }, but does not let it sign in in a browser ({ $said }). Sign in with a code on another device instead: `stepwise login --device`; or ask the provider's administrator to allow it; or keep a token with `stepwise login --with-token`
auth-unknown-scope = the identity provider does not know a scope asked for ({ $said }); asked for: { $scopes }. Set the scopes it knows with --scope or `scopes` in the config file (ask its operator which), then run `stepwise login` again
err-signin-issuer-mismatch = the identity provider at { $asked } calls itself { $got }: its metadata is not its own. Check --issuer (or STEPWISE_ISSUER, `issuer` in the config file) if one is given, else tell the gateway's operator (its sign-in metadata names this provider)
err-signin-issuer-unnamed = the identity provider's metadata at { $asked } names no issuer (its `issuer` member is missing), so it cannot be checked as that provider's own. Tell whoever runs the provider; check --issuer (or STEPWISE_ISSUER, `issuer` in the config file) if one is given
err-signin-resource-mismatch = the sign-in metadata the gateway at { $gateway } publishes ({ $path }) is for another resource, { $named }: tokens from the sign-in it names would be for that resource, not this gateway, so it is not used (RFC 9728). Tell the gateway's operator; if you know this gateway's identity provider, give it with --issuer (or STEPWISE_ISSUER, `issuer` in the config file)
err-signin-issuer-none = the identity provider at { $issuer } publishes no metadata (neither /.well-known/openid-configuration nor /.well-known/oauth-authorization-server; HTTP { $status }). Check --issuer (or STEPWISE_ISSUER, `issuer` in the config file) if one is given, else tell the gateway's operator (its sign-in metadata names this provider)
err-signin-issuer-missing = the identity provider at { $issuer } publishes metadata without { $field }: it offers no sign-in stepwise can use there. Check --issuer (or STEPWISE_ISSUER, `issuer` in the config file) if one is given, else tell the gateway's operator (its sign-in metadata names this provider)
err-signin-issuer-bad = the issuer { $issuer } is not an http(s) URL. Give one like https://login.example.com/realms/workshop
err-signin-endpoint-authorization = authorization address
err-signin-endpoint-revocation = revocation address
login-expires-no-refresh = The token expires at { $time }. No refresh token came with it (the provider gives one with the offline_access scope), so sign in again then.
login-expires-no-refresh-asked = The token expires at { $time }. No refresh token came with it, though the sign-in asked for offline_access: the identity provider gives stepwise none (its administrator can allow it), so sign in again then.
login-keyring-fallback = Note: the keyring could not keep the token ({ $why }), so it is kept in a file only you can read (mode 0600). `stepwise logout` removes it.
login-browser-signing-in = Handed the address to the browser: sign in there, then come back here (Ctrl-C cancels).
login-browser-address = If no browser shows the sign-in, open this address on this machine: { $address }
login-browser-done = Signed in: close this tab and go back to the terminal.
login-browser-failed-page = This sign-in did not succeed: go back to the terminal to see why.
logout-revoked = The identity provider revoked the login ({ $endpoint }).
logout-revoked-page = The revocation address ({ $endpoint }) answered HTTP 200, which means revoked, but with a web page where the identity provider answers nothing: if a portal or proxy answers there in its place, the login may still be valid at the provider until it expires.
logout-not-revoked = The identity provider offers no revocation: the login is forgotten here, and its refresh token stays valid there until it expires.
logout-not-revoked-access = The identity provider offers no revocation: the login is forgotten here, and its token stays valid there until it expires.
logout-revoke-failed = Revoking the login at the identity provider failed ({ $why }); it is forgotten here all the same. Its refresh token stays valid at the provider until it expires or the provider ends it: ask its administrator to revoke it if it must end now.
logout-already-ended = The identity provider had already ended this login ({ $said }): there is nothing to revoke.
logout-revoke-failed-access = Revoking the login at the identity provider failed ({ $why }); it is forgotten here all the same. The token stays valid at the provider until it expires: ask its administrator to revoke it if it must end now.
status-over = Refresh:   ended by the identity provider ({ $said }). Run `stepwise login`
status-over-client = Refresh:   refused: the identity provider does not take the client id { $client } ({ $said }). Sign in with the one it knows: `stepwise login --client-id ID` (or set `client_id` in the config file)
status-client = Client:    { $client }, scopes { $scopes }, audience { $audience }
status-scopes-granted = { $asked } asked, { $granted } granted
help-cli-login-issuer = The identity provider's issuer URL (else STEPWISE_ISSUER, `issuer` in the config file, else found from the gateway)
help-cli-login-client-id = The client id registered for stepwise at the identity provider (else `client_id` in the config file, else stepwise)
help-cli-login-scope = The scopes to ask for, separated by spaces (else `scopes` in the config file, else the gateway's, else "openid offline_access")
help-cli-login-audience = The audience (resource) to ask the token for (else `audience` in the config file)
help-cli-login-device = Sign in with a code approved in any browser, even where one could be opened here
help-cli-serve-client-id = A client id the identity provider knows (repeat it; default: stepwise)
doctor-source-login = the kept login (`stepwise login`)
doctor-token-login-over = the kept login was ended by the identity provider ({ $said })
doctor-token-fix-login = Run `stepwise login`
doctor-token-fix-client-id = Set the client id the identity provider knows with --client-id ID (or `client_id` in the config file), then run `stepwise login --client-id ID`
doctor-token-fix-kept-fixed = It was kept with `stepwise login --with-token`: ask whoever runs the gateway for its current token and keep that with `stepwise login --with-token`
