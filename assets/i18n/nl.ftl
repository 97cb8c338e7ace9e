# stepwise — de berichtencatalogus, Nederlands. Dezelfde ids en variabelen
# als en.ftl; getallen kiezen de meervoudsvormen.

## The steps screen

header-car = voertuig { $car }
header-steps-id = stepsID { $id }
header-at = om { $time } UTC
header-not-loaded = niet geladen
header-watch-on = volgen AAN
header-watch-live = volgen AAN · live
header-watch-polling = volgen AAN · opvragen elke { $secs } s
header-watch-retrying = volgen AAN · nieuwe poging
header-watch-off = volgen uit
header-autoplay = automatisch
header-guide-lang = klant: { $lang }
progress-done = { $done } van { $total } afgerond
progress-filtered = (filter: { $filter }, { $shown ->
    [one] { $shown } stap getoond
   *[other] { $shown } stappen getoond
})
list-title = Stappen, op volgorde
list-title-filtered = Stappen: alleen { $filter }
list-loading = Stappen opvragen bij de gateway…
list-loading-held = Tegengehouden: de gateway vroeg elk verzoek te wachten (HTTP 429, de kopregel telt af); de stappen worden gevraagd als het wachten voorbij is.
list-none = Nog geen lijst: r vraagt opnieuw.
list-none-waiting = Nog geen lijst: de gateway vroeg te wachten (de melding zegt hoe lang); het volgen vraagt opnieuw als het wachten voorbij is.
list-none-sign-in = Nog geen lijst: de gateway wil een geldig token. Druk op i om in te loggen, als de gateway dat aanbiedt (anders opnieuw starten met --token-file); daarna wordt de lijst opnieuw gevraagd.
list-none-token-given = Nog geen lijst: de gateway wil een geldig token, en aanmelden lukt hier niet (de melding zegt waarom). Sluit af en begin opnieuw met een gegeven token: --token-file BESTAND of STEPWISE_TOKEN.
list-none-unknown-id = Geen lijst: de gateway kent deze id niet, dus opnieuw vragen helpt niet. Controleer de id.
list-none-fix-cause = Geen lijst: opnieuw vragen geeft hetzelfde antwoord tot wat de melding noemt is verholpen.
list-empty-filtered = Geen stap is { $filter }. f wijzigt het filter.
list-empty = De gateway gaf geen stappen voor deze carAssociationID.
mark-next = NU
mark-waits = wacht
mark-status-raw = status { $status }
mark-waits-for = wacht op { $order }
guide-title = Zo doet de klant het: { $title }
guide-title-none = Uitleg
guide-no-step = Geen stap om uit te leggen. Weigert de app van de klant de dienst nog, controleer dan de carAssociationID of reset de stappencache met R.
guide-waiting = De uitleg voor de volgende stap verschijnt zodra de lijst binnen is.
guide-link = Gids:
guide-does = De klant:
guide-needs = Bij de hand:
guide-errors = App-fouten bij deze stap:
guide-errors-hint = toets ‘e’ legt ze uit
guide-link-archive = Documentatie voor ontwikkelaars (gearchiveerd, Engels):
guide-keys-gateway = ‘g’ toont de pagina van de klant ({ $lang }) op de gateway als QR-code, toets ‘o’ opent hem.
guide-keys-dealer = ‘g’ toont de hulppagina van de dealer als QR-code, toets ‘o’ opent hem.
guide-keys-archive = ‘g’ toont de gearchiveerde ontwikkelaarspagina als QR-code, toets ‘o’ opent hem (de gateway biedt geen klantpagina's).
guide-more-below = ↓ meer: PgDn
guide-more-above = ↑ meer boven: PgUp
list-more-below = ↓ nog { $count }: j
list-more-above = ↑ nog { $count } hierboven: k
ready-title = Dienst gereed
ready-line = Alle stappen zijn afgerond: de dienst is klaar voor gebruik.
ready-services = De afgenomen dienst (status van de auto of opdrachten van op afstand) is nu te gebruiken in de app van de klant.
ready-stale-before = Faalt de app nog met fout 2312 of 2317, dan is de stappencache verouderd: druk op{" "}
ready-stale-after = {" "}om hem te resetten en de echte stand te zien.

## Requests in flight

loading-steps = stappen ophalen
loading-held = { $what }, tegengehouden door de limiet van de gateway (HTTP 429)
loading-refresh = verversen
loading-reset = stappencache resetten
loading-next = volgende stap opvragen
loading-customer = de klant is bezig

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… meer: een groter venster toont alles{" "}
banner-cut-help = {" "}… meer: ? toont alles{" "}

banner-no-steps-id = Nog geen stepsID
banner-no-steps-id-text = Eerst verversen met r.
banner-no-steps-id-in-list-text = De lijst van de gateway kwam zonder stepsID, en de volgende stap kan alleen per stepsID worden opgevraagd: r brengt er geen. Meld de beheerder van de gateway dat zijn lijst geen stepsID heeft.
banner-steps-id-dropped = stepsID verworpen
banner-steps-id-dropped-text = De gateway weigerde de stepsID die hij zelf had gegeven, dus is die verworpen; de lijst op het scherm is de laatste die ermee kwam. r vraagt een nieuwe op per carAssociationID.
banner-watch-off = Volgen uit
banner-watch-off-text = w volgt weer.
banner-nothing-to-watch = Niets te volgen
banner-nothing-to-watch-text = Alle stappen zijn al afgerond.
banner-no-step-shown = Geen stap op het scherm
banner-no-step-shown-text = g en o geven de klant de pagina van de stap op het scherm, en er is er geen: er is nog geen lijst gekomen, of die heeft geen stap. r vraagt de lijst opnieuw op.
banner-key-needs-list = { $key } heeft een lijst met stappen nodig, en er is er geen gekomen. Waarom:
banner-no-step-shown-filter-text = g en o geven de klant de pagina van de stap op het scherm, en het filter verbergt elke stap (geen stap is { $filter }). Druk op f tot de stappen verschijnen en kies er een met ↑↓.
banner-watching = Volgen
banner-watching-text = De lijst wordt gevolgd tot alles afgerond is (de kop zegt hoe: live of door opvragen); w stopt.
banner-list-without-steps-id = Geen stepsID in de lijst
banner-list-without-steps-id-text = De lijst van de gateway bevat geen stepsID: de aanroep voor de volgende stap (n) en live-gebeurtenissen kunnen er niet naar vragen, dus volgen vraagt elke { $secs } s per carAssociationID. Meld het aan de beheerder van de gateway: een lijst bevat haar stepsID.
banner-watch-stopped = Volgen gestopt: { $what }
banner-live-trouble = Volgen onderbroken: { $what }
banner-live-stalls = Livestream terug na een stilstand
live-bad-event = de live-gebeurtenisstroom van de gateway stuurde een onbruikbare gebeurtenis: { $why }. De lijsten zelf zijn in orde; waarschuw wie de gateway beheert
live-proxy-held = de live-gebeurtenissenstroom kreeg binnen { $secs } s geen antwoord via de proxy { $proxy }, hoewel de lijstaanroepen erdoor wel beantwoord worden: de proxy houdt een antwoord vast dat niet eindigt (hij buffert de gebeurtenissenstroom). Vraag de beheerder van de proxy om text/event-stream ongebufferd door te laten, of zet NO_PROXY={ $host } als de gateway zonder proxy bereikbaar is
banner-live-trouble-text = { $why }. Het volgen gaat vanzelf verder zodra het kan; tot dan kan de lijst op het scherm verouderd zijn.
banner-live-trouble-wait-text = { $why }. De gateway vroeg { $secs } s te wachten (zijn Retry-After): het volgen vraagt dan opnieuw; tot dan kan de lijst op het scherm verouderd zijn.
banner-live-trouble-wait-capped-text = { $why }. De gateway vroeg { $secs } s te wachten (zijn Retry-After); stepwise wacht hooguit { $max } s: het volgen vraagt dan opnieuw; tot dan kan de lijst op het scherm verouderd zijn.
banner-429-capped-text = { $why }. stepwise wacht hooguit { $max } s: dan vraagt het opnieuw (de kopregel telt af), en de gateway kan dat op dezelfde manier weigeren tot zijn eigen wachttijd voorbij is.
banner-live-held-text = { $why }. Volgen vraagt niet vanzelf opnieuw: een tokenvernieuwing waarvan het antwoord verloren ging, wordt niet zonder u opnieuw verstuurd (het refresh-token is misschien verbruikt). Druk op r zodra de weg naar de identiteitsprovider werkt; tot dan kan de lijst op het scherm verouderd zijn.
banner-watch-retries = Het volgen vraagt vanzelf opnieuw (de kopregel zegt „nieuwe poging”); r vraagt meteen.
banner-watch-waits = Het volgen vraagt na die wachttijd vanzelf opnieuw; eerder vragen (r) helpt niet.
banner-watch-waits-secs = Het volgen vraagt vanzelf opnieuw na de { $secs } s die de gateway vroeg te wachten; eerder vragen (r) helpt niet.
banner-env-restart = Een draaiende stepwise leest de proxyvariabelen bij het starten: sluit af (q) en start opnieuw nadat je ze hebt gewijzigd.
banner-live-fallback = Livestream opgegeven: de lijst wordt elke { $secs } s opgevraagd
banner-live-fallback-text = De gebeurtenissenstroom van de gateway bleef mislukken (laatst: { $what }). Volgen gaat door door de lijst elke { $secs } s op te vragen: de lijst op het scherm blijft actueel, een wijziging verschijnt tot { $secs } s later. Houdt dit aan, geef de fout tussen haakjes dan aan de beheerder van de gateway, of aan wie een proxy onderweg beheert (een stroom kan daarin mislukken).
banner-live-fallback-contradicted-text = Meteen opgegeven: { $what }. Volgen gaat door door de lijst elke { $secs } s op te vragen: de lijst op het scherm blijft actueel, een wijziging verschijnt tot { $secs } s later.
banner-watch-stopped-text = { $why }. Verder volgen herhaalt alleen dit antwoord; na het oplossen start w opnieuw.
banner-run-keeps-refusal = { $why }. Deze sessie vraagt de gateway niets meer met deze login, dus r en w krijgen opnieuw dit antwoord: zodra het is opgelost, of na een nieuwe `stepwise login`, sluit af met q en start stepwise opnieuw.
banner-customer-idle = Niets meer te doen voor de klant
banner-customer-idle-text = Alle stappen zijn afgerond.
banner-no-report-place = Geen plek voor het rapport
banner-no-report-place-text = Er is geen map voor gebruikersgegevens; gebruik --report PAD.
banner-report-written = Rapport geschreven
banner-note-kept = Notitie bewaard
banner-note-kept-text = Ze komt in het sessierapport.
banner-note-kept-press-x-text = Ze komt in het sessierapport, dat x schrijft (er is geen --report gegeven): druk op x voor het afsluiten. q met een ongeschreven notitie vraagt opnieuw, en een tweede q sluit af zonder; een sessie die anders eindigt (Ctrl-C, een gesloten venster) schrijft het waar x het schrijft.
banner-note-token = Notitie niet bewaard
banner-note-token-text = Ze bevat iets wat op een aanmeldtoken lijkt, en een token komt nooit in een rapport. Druk op N en typ de notitie zonder.
banner-note-token-word-text = Ze bevat iets wat op een aanmeldtoken lijkt (het woord van { $len } tekens dat begint met { $start }…), en een token komt nooit in een rapport. Druk op N: de notitie komt terug zoals getypt, om dat woord eruit te halen.
report-note-token-left-out = een notitie die werd getypt toen de wizard eindigde, is weggelaten: er stond iets in dat op een aanmeldtoken lijkt, en een token komt nooit in een rapport. Schrijf hem opnieuw zonder het token
banner-note-unsaved = Notitie niet opgeslagen
banner-note-unsaved-text = Nog geen rapport bevat uw notitie (geen --report opgegeven). Druk op x om het rapport met de notitie te schrijven, of nogmaals op q om zonder te stoppen.
banner-note-unsaved-failed-text = Nog geen rapport bevat uw notitie: x kon het niet schrijven ({ $why }). Los dat op en druk dan op x; of druk nogmaals op q om zonder de notitie af te sluiten.
banner-task-failed = Het verzoek stopte door een interne fout
banner-task-failed-text = stepwise kon het niet afmaken ({ $why }). r probeert het opnieuw; gebeurt het weer, stuur dan het logbestand naar support.
banner-report-not-written = Rapport niet geschreven
banner-report-not-written-text = Kan { $path } niet schrijven: { $why }. Controleer of de map bestaat en beschrijfbaar is.
banner-report-in-the-way-text = Kan { $path } niet schrijven: op { $file } staat een bestand waar een map moet zijn (de map voor rapporten of een map daarboven). Verplaats dat bestand of geef het een andere naam en druk dan opnieuw op x.
banner-guide-opened = Link doorgegeven aan de browser
banner-no-browser = Kon geen browser openen
banner-no-graphical-session = Geen grafische sessie hier. Open { $url } op een ander apparaat, of g voor de QR-code.
banner-no-graphical-session-local = Geen grafische sessie hier, en { $url } bestaat alleen op deze computer (loopback): ook een ander apparaat kan het niet openen. Geef --api een adres van de gateway dat het netwerk van de werkplaats bereikt en druk dan op g voor de QR-code.
banner-no-graphical-session-demo = Geen grafische sessie hier, en { $url } bestaat alleen op deze machine (demo-backend). Voor telefoons: start `stepwise serve --addr 0.0.0.0:8080` en geef de assistent --api met het adres dat serve toont; dan toont g de QR-code.
banner-browser-failed = { $why }. Open { $url } met de hand, of g voor de QR-code.
banner-step-done = { $count ->
    [one] { $steps } is afgerond
   *[other] { $steps } zijn afgerond
}
banner-step-undone = { $count ->
    [one] { $steps } is niet meer afgerond
   *[other] { $steps } zijn niet meer afgerond
}
banner-step-undone-text = De nieuwste lijst van de gateway heeft het weer als te doen (een reset elders, een ingetrokken sleutel, of een gateway die zijn stand kwijt is): de klant doet het opnieuw; de lijst toont wat er over is.
banner-steps-undone-text = De nieuwste lijst van de gateway heeft ze weer als te doen (een reset elders, een ingetrokken sleutel, of een gateway die zijn stand kwijt is): de klant doet ze opnieuw; de lijst toont wat er over is.
banner-next-is = de volgende stap is { $title }.
banner-all-done-ready = alles is afgerond, de dienst is klaar voor gebruik.
banner-nothing-shown-left = in de getoonde lijst is niets meer te doen.
banner-reset-done = Stappencache gereset
banner-reset-done-text = Elke stap is opnieuw beoordeeld; de lijst toont de echte stand.
banner-reset-refused-front = Reset geweigerd
banner-reset-refused-front-text = Iets vóór de gateway beantwoordde de reset van de stappencache (resetSteps=true) met HTTP { $status } zonder foutbericht van de gateway, terwijl lijsten van dit adres komen: alleen de resetaanroep wordt geweigerd. De cache is niet gereset, en de lijst op het scherm is ongewijzigd. Vraag de beheerder van de gateway, of wie het netwerk beheert, of de resetaanroep wordt doorgelaten.
banner-reset-unanswered = Reset verzonden, geen antwoord
banner-reset-unanswered-text = De gateway nam de reset van de stappencache (resetSteps=true) aan maar antwoordde niet binnen { $secs } s: de cache is misschien al gereset, misschien niet. Druk eerst op r om de lijst te zien zoals hij nu is; reset alleen opnieuw als hij nog stappen als afgerond toont die de klant niet heeft gedaan.
banner-reset-gave-up-text = De reset van de stappencache (resetSteps=true) kreeg HTTP { $status } van iets vóór de gateway dat het wachten erop opgaf: de cache is misschien al gereset, misschien niet. Druk eerst op r om de lijst te zien zoals hij nu is; reset alleen opnieuw als hij nog stappen als afgerond toont die de klant niet heeft gedaan.
banner-no-longer-found = Niet meer gevonden
banner-no-longer-found-text = Dit adres gaf eerder in deze sessie lijsten voor dit voertuig en antwoordt nu 404 (niet gevonden): de id en --api waren juist, dus de gateway, of een router of proxy ervoor, is veranderd (een herstart, een uitrol, een verloren route). Druk over een moment op r om opnieuw te vragen; blijft het zo, meld het dan met het tijdstip aan de beheerder van de gateway.
banner-steps-id-changing = De gateway blijft de stepsID van dit voertuig veranderen
banner-steps-id-changing-text = Gevraagd naar de lijst van stepsID { $asked }, antwoordde hij de lijst van stepsID { $answered }, binnen een minuut na opnieuw beginnen op carAssociationID. Het volgen is gestopt in plaats van eindeloos te vragen. Druk op r om opnieuw op carAssociationID te vragen; blijft hij veranderen, meld het dan aan de beheerder van de gateway (of wie een proxy of cache ertussen beheert).
banner-started-over = Opnieuw begonnen
banner-started-over-text = { $why }; opnieuw gevraagd met de carAssociationID.
banner-refused-again = De gateway weigert de stepsID die hij net gaf
banner-refused-again-text = { $why }, opnieuw, binnen een minuut na het opnieuw beginnen per carAssociationID. Volgen gestopt in plaats van eindeloos opnieuw te vragen. Waarschuw wie de gateway beheert; r vraagt nog eens per carAssociationID.
why-other-device = De stepsID hoorde bij een ander apparaat
why-steps-id-unknown = De gateway kent de stepsID niet meer
why-steps-id-changed = De gateway antwoordde de lijst van een andere stepsID (een nieuwe voor dit voertuig, of onderweg verwisselde antwoorden)
banner-gateway-next = Volgende stap volgens de gateway
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), niet in de getoonde lijst; f wijzigt het filter.
banner-filter-ignored = Hier gefilterd, niet door de gateway
banner-list-lost-steps = Lijst mist stappen
banner-list-lost-steps-text = De lijst van de gateway voor stepsID { $id } bevat { $steps } niet meer, die nog niet gedaan waren: een lijst verliest nooit stappen die hij had (een gefilterde lijst als de hele gegeven?). Hij wordt niet overgenomen, en het voertuig niet gereed genoemd: de lijst op het scherm is de laatste hele. Druk op r om opnieuw te vragen; blijft het zo, laat het de beheerder van de gateway weten
banner-nothing-left = Niets meer te doen
banner-nothing-left-text = De gateway antwoordde null: geen stap meer open, de dienst is klaar voor gebruik.
banner-next-list-older = De lijst op het scherm is ouder dan dit antwoord: hij wordt opnieuw opgevraagd.
banner-next-disagrees = De twee antwoorden van de gateway spreken elkaar tegen
banner-next-disagrees-text = Zijn volgende stap is { $said } (`{ $name }`), maar de zojuist opnieuw gevraagde lijst zet nog steeds { $first } (`{ $first_name }`, status “{ $status }”) eerst, niet gedaan: de lijst is niet oud. Vraag de beheerder van de gateway welke de klant eerst doet.
banner-answers-disagree = De gateway spreekt zichzelf tegen
banner-answers-disagree-text = Zijn aanroep voor de volgende stap zei dat er niets over is, maar zijn lijst, zojuist opnieuw opgevraagd, heeft nog stappen te doen (NEXT markeert de eerste). Volg de lijst en meld de beheerder van de gateway dat de twee aanroepen elkaar tegenspreken.

## The start screen
backend-demo = demo-backend
demo-car-987654 = Voorbeeld uit de documentatie: telefoon vertrouwd, apparaat niet geactiveerd
demo-car-moved = Demovoertuig, nu { $done } van { $total } stappen gedaan (demo --fresh begint opnieuw)
demo-car-reset-done = Cache in deze sessie gereset: de lijst toont nu de echte stand
demo-fresh-done = Demo opnieuw begonnen: elk demovoertuig staat weer waar zijn omschrijving zegt.
demo-fresh-failed = de demo kan niet opnieuw beginnen: de toestand { $path } kan niet worden verwijderd ({ $error }). Verwijder dat bestand met de hand en begin opnieuw
launch-note-title = Opmerking
cli-ids-repeated = Meer dan eens opgegeven, één keer gevraagd: { $ids }.
cli-ids-one-line = { $path } bevat één regel met { $values } waarden in kolommen: alleen de eerste wordt als carAssociationID gelezen (de eerste kolom van een bestand). Zet één id per regel om ze allemaal te vragen.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: de rij op regel { $lines } heeft geen carAssociationID in de id-kolom en wordt dus overgeslagen. Vul zijn id in om dat voertuig op te vragen.
   *[other] { $path }: de rijen op regels { $lines } hebben geen carAssociationID in de id-kolom en worden dus overgeslagen. Vul hun id's in om die voertuigen op te vragen.
    }
cli-ids-column-guessed = { $path }: de eerste rij noemt geen carAssociationID-kolom, dus de id's zijn gelezen uit kolom { $column } (“{ $name }”), de enige waarvan elke waarde een id met een cijfer is. Zijn dat niet de id's van de voertuigen, geef hun kolom dan de kop carAssociationID
demo-car-111111 = Nieuwe klant: nog niets gedaan
demo-car-222222 = Dienst gereed: alle stappen afgerond
demo-car-333333 = Verouderde cache: de app toont 2312/2317, alleen een reset toont de echte stand
demo-car-444444 = Alleen status van de auto: twee stappen

start-subtitle = stappen voor dienstactivering
start-intro = Typ de carAssociationID van de klant (uit het abonnement op de verbonden diensten) en druk op Enter.
start-replace-hint = Typen vervangt dit id; ⌫ bewerkt het
start-refused = Niet aanvaard: { $chars }. Een id bevat alleen letters a–z, A–Z, cijfers, - en _.
start-dropped-confirm = Weggelaten: { $chars }. Nogmaals Enter neemt { $id } zoals het is (een ander voertuig?); verbeter het anders.
start-too-long = Een id heeft hoogstens { $max } tekens; de rest is weggelaten.
start-not-an-id = Typ een carAssociationID: letters a–z, A–Z, cijfers, - of _.
start-excel-number = { $number } is een lang getal zoals Excel het toont (wetenschappelijke notatie), geen id: de laatste cijfers zijn verloren. Maak in Excel de kolom van het type Tekst, typ de id opnieuw en kopieer hem van daar.
start-several-ids = Er zijn { $count } regels geplakt (een kolom met id's?): het veld neemt één id, dus er is geen genomen. Plak of typ er één; voor een overzicht van allemaal, sluit af en start met --cars BESTAND (één id per regel) of --car ID --car ID
board-add-several-ids = Er zijn { $count } regels geplakt (een kolom met id's?): dit veld voegt één id tegelijk toe, dus er is geen genomen. Plak of typ er één, Enter, en dan weer a voor de volgende; de voertuigen op het overzicht blijven
start-label-left-out = Het geplakte begon met zijn label "{ $label }", dat is weggelaten: het veld bevat het id erna.
start-note-unsaved = Notitie niet opgeslagen: nog geen rapport bevat haar (geen --report). Open een voertuig en druk daar op x om het rapport met de notitie te schrijven, of druk nogmaals op q om zonder te stoppen.
start-choices = Recente ids (↑↓ om te kiezen):
start-choices-demo = Recente ids en demo-toewijzingen (↑↓ om te kiezen):
start-recent = recent gebruikt

## A window too small

too-small-title = Venster te klein
too-small-text = stepwise heeft { $min_w }×{ $min_h } nodig; dit is { $w }×{ $h }.
too-small-hint = Maak het venster groter (q stopt).
too-small-note-unsaved = Uw notitie staat nog in geen rapport: maak het venster groter en druk op x om het rapport met de notitie te schrijven, of nogmaals op q om zonder te stoppen.

## Overlays

help-title = Hulp (Esc sluit)
help-title-more = Hulp (↓ PgDn voor meer, Esc sluit)
help-section-start = Startscherm
help-section-steps = Stappenscherm
help-section-message = De melding op het scherm, volledig
help-section-everywhere = Overal
help-section-reset = Reset bevestigen
help-section-explain = Uitleg van foutcodes
help-section-qr = QR-code
help-section-help = Deze hulp
help-section-badges = Labels
help-legend-badges = [GEDAAN] afgerond (alreadyDone)  [OPEN] te doen (todo)  [????] onbekende status
badge-done = GEDAAN
badge-todo = OPEN
badge-unknown = ????
help-legend-next = NU markeert de stap die nu aan de beurt is; latere wachten erop.
reset-title = Stappencache resetten
reset-question = Stappencache van { $car } resetten?
reset-when = Gebruik dit als de app van de klant fout 2312 of 2317 toont, of als een stap afgerond lijkt maar het niet is.
reset-what = Elke stap wordt dan opnieuw beoordeeld; stappen die echt afgerond zijn, blijven afgerond.
explain-title = Foutcode van de app uitleggen (Esc sluit)
explain-code = Foutcode:
explain-prompt = Typ de code die de app van de klant toont, bv. 2312 of NOK:MAXNBTOOLS.
explain-known = Bekend: { $codes }
explain-meaning = Betekenis:
explain-remedy = Wat helpt:
explain-limits = Grenzen:
explain-reset-cures = ✔ De stappencache resetten lost het op: sluit met Esc en druk dan op{" "}
explain-unknown = { $code } is geen code die dit programma kent.
explain-unknown-hint = Controleer wat getypt is en zoek de code op in de foutenlijst van de fabrikant; noteer hem na Esc in een notitie (N) voor het sessierapport.
qr-title-gateway = Scan: de pagina van de klant ({ $lang }) (Esc sluit)
qr-title-dealer = Scan: de hulppagina van de dealer (Esc sluit)
qr-title-archive = Scan: documentatie voor ontwikkelaars, gearchiveerd (Esc sluit)
qr-demo-local = Alleen deze computer kan deze pagina openen (demo-backend). Voor telefoons: voer `stepwise serve --addr 0.0.0.0:8080` uit en geef de wizard --api met het adres dat serve toont.
qr-loopback = Dit adres bestaat alleen op deze computer (loopback): een telefoon kan het niet openen. Geef --api het adres dat de gateway op het netwerk van de werkplaats heeft.
qr-too-small = Het venster is te klein voor de QR-code; maak het groter.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Enter
key-name-space = Spatie
key-name-pgdn = PgDn
key-name-pgup = PgUp
key-name-ctrl-c = Ctrl-C
key-name-yes = j

key-short-quit = stoppen
key-short-open = openen
key-short-pick = kiezen
key-short-help = hulp
key-short-type = typen
key-short-erase = wissen
key-short-clear = leegmaken
key-short-move = kiezen
key-short-more = meer
key-short-refresh = verversen
key-short-watch = volgen
key-short-act = simuleren
key-short-next = volgende
key-short-filter = filteren
key-short-reset = resetten
key-short-explain = uitleg
key-short-open-guide = gids openen
key-short-qr = QR-code
key-short-report = rapport
key-short-back = terug
key-short-scroll = scrollen
key-short-page = pagina
key-short-close = sluiten
key-short-reset-now = nu resetten
key-short-cancel = annuleren
key-short-open-browser = in browser openen
key-short-guide-lang = klanttaal
key-help-quit-now = meteen stoppen
key-help-quit = stoppen
key-help-quit-empty = stoppen (bij een leeg veld)
key-help-open = de stappen van deze carAssociationID openen
key-help-pick = een recente of demo-id kiezen
key-help-help = hulp bij alle toetsen
key-help-type-id = de carAssociationID typen (letters a–z, A–Z, cijfers, - en _)
key-help-erase = het laatste teken wissen
key-help-clear = het veld leegmaken
key-help-move = de selectie verplaatsen
key-help-guide-down = de uitleg omlaag scrollen
key-help-guide-up = de uitleg omhoog scrollen
key-help-refresh = de lijst verversen met de stepsID
key-help-watch = volgen: elke wijziging volgen tot alles afgerond is
key-help-act = de gesimuleerde klant doet de volgende stap (demo)
key-help-next = de gateway om de volgende stap vragen
key-help-filter = filteren op status: alle, todo, alreadyDone
key-help-reset = de stappencache resetten (app-fouten 2312/2317)
key-help-explain = een foutcode van de app uitleggen
key-help-open-guide = de gids van de stap in een browser openen
key-help-qr = de link van de gids als QR-code tonen
key-help-report = het sessierapport schrijven (Markdown)
key-help-back = terug naar het startscherm
key-help-back-board = terug naar het overzicht
key-short-note = notitie
key-help-note = een notitie voor het sessierapport schrijven
key-help-save-note = de notitie voor het rapport bewaren
key-help-type-note = de notitie typen
help-section-note = De notitie voor het rapport
key-help-scroll = door de hulp scrollen
key-help-page-down = een pagina omlaag
key-help-page-up = een pagina omhoog
key-help-close-help = de hulp sluiten
key-help-reset-now = de stappencache nu resetten
key-help-cancel = annuleren
key-help-close-explain = de uitleg sluiten
key-help-type-code = de code typen: cijfers, letters, : _ .
key-help-close-qr = de QR-code sluiten
key-help-open-browser = de link in een browser openen
key-help-guide-lang = de uitleg voor de klant naar de volgende taal zetten

## The session report (Markdown)

report-title = stepwise-sessierapport
report-none = (geen)
report-backend = gateway
report-end = stand aan het eind: { $done } van { $total } afgerond
report-end-ready = stand aan het eind: { $done } van { $total } afgerond, dienst klaar voor gebruik
report-end-next = stand aan het eind: { $done } van { $total } afgerond, volgende: { $title } (`{ $name }`)
report-col-order = volgorde
report-col-step = stap
report-col-name = naam
report-col-status = toestand
report-events = Gebeurtenissen
report-event-opened = carAssociationID { $car } geopend
report-event-removed = door de technicus van het overzicht verwijderd
report-event-steps-id-changed = de gateway antwoordde de lijst van een andere stepsID ({ $answered }); opnieuw gevraagd op carAssociationID
report-event-list-next = lijst (stepsID { $id }): { $done } van { $total } afgerond, volgende `{ $next }`
report-event-list-clear = lijst (stepsID { $id }): { $done } van { $total } afgerond, niets meer te doen
report-event-list-empty = lijst (stepsID { $id }): geen stappen ontvangen, dus de dienst is niet als gereed bekend
report-event-filtered = lijst gefilterd op { $status }: { $shown ->
    [one] { $shown } stap getoond
   *[other] { $shown } stappen getoond
}
report-event-reset = reset van de stappencache gevraagd (resetSteps=true); het antwoord van de gateway volgt
report-event-next = volgende stap volgens de gateway: `{ $step }`
report-event-next-none = volgende stap volgens de gateway: geen (null)
report-event-simulated = gesimuleerde klant deed `{ $step }`
report-event-error = fout: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] de gateway kende de stepsID niet meer (HTTP { $status }); opnieuw begonnen met de carAssociationID
   *[other] de gateway weigerde de stepsID (HTTP { $status }); opnieuw begonnen met de carAssociationID
}
report-event-started-over-live = de livestream van de gateway weigerde de stepsID; opnieuw begonnen met de carAssociationID
report-events-left-out = { $n ->
    [one] { $n } gebeurtenis weggelaten
   *[other] { $n } gebeurtenissen weggelaten
} (de eerste { $first } en de laatste { $last } zijn bewaard)
report-vehicle-count = { $count ->
    [one] { $count } voertuig
   *[other] { $count } voertuigen
}
report-empty = In deze sessie is niets gebeurd: geen voertuig geopend en geen notitie geschreven.
report-ended-quit = Sessie beëindigd om { $at }: de technicus stopte.
report-ended-hangup = Sessie beëindigd om { $at }: de terminal werd gesloten (SIGHUP), niet door de technicus gestopt.
report-ended-signal = Sessie beëindigd om { $at }: gestopt door { $signal }, niet door de technicus.
report-ended-terminal = Sessie beëindigd om { $at }: de terminal viel onderweg weg, niet door de technicus gestopt.
report-notes = Notities en gebeurtenissen van de sessie
report-event-note = notitie: { $text }
report-event-signed-in = aangemeld vanuit de wizard (i); de voertuigen die bij gebrek aan een token werden geweigerd, vragen opnieuw
report-event-sign-in-failed = aanmelden vanuit de wizard (i) mislukt: { $detail }
report-event-note-unfinished = notitie (onvoltooid: werd nog getypt toen de wizard stopte): { $text }
report-event-explained = code { $code } uitgelegd: { $meaning }
report-event-filter-chosen = statusfilter gekozen: { $status }
report-event-watch-on = volgen aangezet
report-event-watch-off = volgen uitgezet
report-event-watch-stopped = volgen stopte vanzelf: { $what } (opnieuw vragen zou het antwoord niet veranderen)
report-event-guide-lang = de instructies voor de klant overgezet naar { $lang }
report-event-held = de HTTP 429 van de gateway hield elk verzoek eraan { $secs } s tegen (zijn Retry-After): intussen werd geen lijst gevraagd, en de getoonde verouderden

## The plain output of steps and next

cli-none = geen
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = Geen stappen ontvangen.
cli-no-steps-unknown = Geen stappen ontvangen: de dienst is niet als gereed bekend. Weigert de app van de klant hem nog, controleer dan de carAssociationID of reset de stappencache (voer het opnieuw uit met --reset)
cli-summary-next = { $done } van { $total } afgerond; volgende: { $title }
cli-summary-clear = { $done } van { $total } afgerond; niets meer te doen
cli-interrupted-many = onderbroken: de lijsten van de { $count } voertuigen worden samen afgedrukt, in de volgorde van het bestand, zodra elk beantwoord is of de --deadline van { $secs } s bereikt is, dus er is er geen afgedrukt. Voer het opnieuw uit; een kortere --deadline begrenst het wachten
cli-filtered = gefilterd: { $shown } { $filter } getoond; zonder --status voor de hele lijst
cli-filter-ignored = de gateway paste het filter niet toe: { $other } van de { $total } stappen hierboven { $other ->
        [one] heeft
       *[other] hebben
    } de status { $status }. Meld het aan de beheerder van de gateway: stepsStatus wordt niet toegepast
cli-filter-ignored-json = de gateway paste het filter niet toe: { $other } van de { $total } stappen in zijn antwoord { $other ->
        [one] heeft
       *[other] hebben
    } de status { $status }. Meld het aan de beheerder van de gateway: stepsStatus wordt niet toegepast
cli-no-steps-id = de lijst van de gateway bevat geen stepsID: `stepwise next` en live-gebeurtenissen kunnen er niet naar vragen, en de lijst kan alleen opnieuw worden opgevraagd per carAssociationID. Meld het aan de beheerder van de gateway: een lijst bevat haar stepsID
cli-next-none = Niets meer te doen: de dienst is klaar voor gebruik.

## A failed gateway call: what happened, why, what to do

gw-unreachable = de gateway op { $base } is niet bereikbaar: { $detail }. Controleer of hij draait en of --api klopt
gw-unresolved = de gateway op { $base } is niet bereikbaar: de naam { $host } is onbekend bij de DNS van deze computer. Controleer de hostnaam in --api en de DNS-instellingen van deze computer (heeft de gateway een VPN nodig?)
gw-timed-out = de gateway op { $base } nam de verbinding aan maar antwoordde niet binnen { $secs } s: hij is druk of hangt. Probeer opnieuw; blijft het, meld het aan de beheerder van de gateway
gw-timed-out-proxy = geen antwoord binnen { $secs } s van de gateway op { $base } via de proxy { $proxy }: de proxy, of de gateway erachter, zwijgt. Vraag wie de proxy beheert of hij verzoeken naar { $host } doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is; probeer het dan opnieuw
gw-too-large = het antwoord van de gateway is groter dan { $kib } KiB en is niet verder gelezen: geen stappenlijst is zo groot, en opnieuw vragen brengt hetzelfde. Wijst --api naar een stappengateway (er kwamen al lijsten van), dan stuurt die veel te veel: meld het aan de beheerder van de gateway; zo niet, controleer of --api naar een stappengateway wijst
gw-compressed = het antwoord van de gateway{ $via } kwam gecomprimeerd ({ $encoding }), hoewel stepwise om antwoorden zonder compressie vraagt (Accept-Encoding: identity), en stepwise leest het niet. De gateway, of een proxy onderweg, comprimeert ongevraagd: laat het de beheerder van de gateway (of van de proxy) weten
gw-captive-portal = HTTP 511{ $via }: het netwerk van deze computer vraagt eerst om aanmelding (een captive portal, zoals op gasten-wifi), dus het verzoek bereikte de gateway nooit. Open een webbrowser op deze computer, accepteer de aanmeldpagina van het netwerk en probeer opnieuw; of gebruik een ander netwerk
gw-scope-wanted = HTTP { $status }: de gateway nam het token aan, maar zegt dat de scope { $scope } ontbreekt (zijn WWW-Authenticate: insufficient_scope). Meld opnieuw aan en vraag erom (`stepwise login --scope "{ $ask }"`, of `scopes` in het configuratiebestand), of vraag wie de tokens uitgeeft om een token met die scope
gw-scope-wanted-asked = HTTP { $status }: de gateway nam het token van de bewaarde aanmelding aan, maar zegt dat de scope { $scope } ontbreekt (zijn WWW-Authenticate: insufficient_scope), terwijl die aanmelding om { $scope } vroeg: opnieuw aanmelden vraagt hetzelfde. Ofwel geeft de identiteitsprovider stepwise { $scope } niet (vraag de beheerder ervan), ofwel wil de gateway een andere scope of audience (vraag de beheerder van de gateway)
gw-scope-wanted-dropped = HTTP { $status }: de gateway nam het token van de bewaarde aanmelding aan, maar zegt dat de scope { $scope } ontbreekt (zijn WWW-Authenticate: insufficient_scope): de aanmelding vroeg erom, en de toekenning van het laatste token liet hem weg (gegeven: { $granted }), zoals een vernieuwing kan doen. Meld opnieuw aan (`stepwise login`; in de wizard i); laten vernieuwingen hem blijven weg, meld het de beheerder van de identiteitsprovider
gw-scope-wanted-unnamed = HTTP { $status }: de gateway nam het token aan, maar zegt dat er een scope ontbreekt (zijn WWW-Authenticate: insufficient_scope, zonder die te noemen). Vraag de beheerder van de gateway welke, en meld daarmee opnieuw aan (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: de gateway nam het token aan (bron: { $from }), maar zegt dat de scope { $scope } ontbreekt (zijn WWW-Authenticate: insufficient_scope). Een daar gegeven token gaat voor elke aanmelding: zet er een met deze scope neer, of haal het weg en meld aan met `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status }: de gateway nam het token aan (bron: { $from }), maar zegt dat er een scope ontbreekt (zijn WWW-Authenticate: insufficient_scope, zonder die te noemen). Vraag de beheerder van de gateway welke, en zet er een token mee neer, of haal het weg en meld aan met `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status }: de gateway wil een token met de scope { $scope }, en er is geen verstuurd. Meld u aan en vraag erom (`stepwise login --scope "openid offline_access { $scope }"`, of `scopes` in het configuratiebestand), of geef een token dat hem heeft met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-scope-wanted-none-unnamed = HTTP { $status }: de gateway wil een token met een scope die hij niet noemt, en er is geen verstuurd. Vraag de beheerder van de gateway welke scope hij wil, meld u dan aan en vraag erom (`stepwise login --scope …`), of geef een token dat hem heeft met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-scope-wanted-none-no-signin = HTTP { $status }: de gateway wil een token met de scope { $scope }, en er is geen verstuurd. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Vraag daar een token met deze scope, en bewaar het met `stepwise login --with-token`, of geef het met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: de gateway wil een token met een scope die hij niet noemt, en er is geen verstuurd. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Vraag daar een token met de gewenste scope, en bewaar het met `stepwise login --with-token`, of geef het met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-scope-wanted-taken-no-signin = HTTP { $status }: de gateway nam het token uit { $from } aan, maar zegt dat het de scope { $scope } mist (zijn WWW-Authenticate: insufficient_scope). Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Vraag daar een token met deze scope, en geef het op dezelfde manier (een bewaard token met `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: de gateway nam het token uit { $from } aan, maar zegt dat het een scope mist die hij niet noemt (zijn WWW-Authenticate: insufficient_scope). Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Vraag daar een token met de gewenste scope, en geef het op dezelfde manier (een bewaard token met `stepwise login --with-token`)
gw-bad-answer = het antwoord van de gateway is onbruikbaar: { $why }. Kwamen er eerder lijsten van deze --api (van dit voertuig of een ander), dan beantwoordde de gateway, of iets ervoor, deze aanroep met iets anders: meld het aan de beheerder van de gateway; zo niet, controleer of --api naar een stappengateway wijst
gw-bad-answer-page = het antwoord is een webpagina (HTML) waar het JSON van de gateway hoort: iets vóór de gateway (een firewall, een portaal of een reverse proxy) antwoordde, of --api wijst naar een webserver. Kwamen er eerder lijsten van deze --api, vraag dan wie het netwerk beheert wat de pagina is; zo niet, controleer of --api naar een stappengateway wijst
gw-bad-answer-gateway = het antwoord van de gateway is onbruikbaar: { $why }
gw-answer-cut = het antwoord van de gateway is afgebroken ({ $why }). Probeer opnieuw; blijft het afgebroken, dan kapt de gateway of iets onderweg (een proxy) zijn antwoorden af: meld het aan de beheerder van de gateway
answer-not-json = het antwoord is geen JSON ({ $detail })
answer-html = het antwoord is een HTML-pagina (van een webserver, een portaal of een proxy), geen JSON
answer-empty = het antwoord is leeg, waar JSON van de gateway (een lijst met stappen, een stap of null) verwacht werd
answer-not-utf8 = het antwoord is geen UTF-8-tekst (een andere tekenset, zoals Latin-1), wat JSON moet zijn
answer-gzip = het antwoord is met gzip gecomprimeerde data die dat niet zegt (geen Content-Encoding): de gateway, of een proxy onderweg, comprimeert ongevraagd; laat het de beheerder van de gateway weten
answer-wrong-shape = het antwoord is JSON in een andere vorm dan een lijst met stappen ({ $detail })
answer-wrong-shape-step = het antwoord is JSON in een andere vorm dan een stap ({ $detail })
answer-next-done = het antwoord voor de volgende stap noemt { $step } maar markeert die als gedaan: het spreekt zichzelf tegen, en zegt niet dat er niets over is en ook niet welke stap volgt. De lijst van deze stepsID zegt welke stappen over zijn; meld het aan de beheerder van de gateway
answer-bad-steps-id = de lijst van de gateway geeft een stepsID ({ $id }) die de id-regel van het contract breekt (1 tot 64 letters a–z, A–Z, cijfers, - of _), dus die kan niet worden teruggestuurd voor latere lijsten of de volgende stap. Meld het aan de beheerder van de gateway; het getypte id is niet de oorzaak
answer-error-body = de gateway stuurde zijn foutbody ({ $said }) met een successtatus (HTTP 2xx): hij weigerde het verzoek, al zegt zijn status iets anders. Meld het aan de beheerder van de gateway
json-at = het is geen JSON meer vanaf regel { $line }, kolom { $column }
json-cut-at = het stopt te vroeg op regel { $line }, kolom { $column }: het antwoord is afgebroken
json-stops-at = het stopt op regel { $line }, kolom { $column }
json-kind-null = null
json-kind-boolean = een booleaanse waarde
json-kind-number = een getal
json-kind-string = een tekenreeks
json-kind-array = een array
shape-not-a-list = verwacht was een object met stappen; het is { $kind }
shape-not-a-step = verwacht was een stapobject of null; het is { $kind }
shape-no-steps = een object zonder stepsID en zonder stap; de velden zijn { $members }
shape-no-step = een stapobject of null werd verwacht; het is een object zonder stap, met de velden { $members }
shape-live-without-id = de lijst van een live-gebeurtenis heeft geen stepsID, op een stroom die er meerdere volgt
os-refused = de verbinding werd geweigerd: op dat adres en die poort luistert niets
os-reset = de andere kant heeft de verbinding verbroken
os-network-unreachable = deze machine heeft geen route naar dat netwerk
os-host-unreachable = deze machine heeft geen route naar die host
os-network-down = het netwerk van deze machine is niet verbonden
os-timed-out = de verbinding is verlopen zonder antwoord
os-denied = deze machine weigerde de verbinding te openen (een firewall of beveiligingsinstelling)
os-not-a-folder = er staat een bestand waar een map moet zijn
os-read-only = het bestandssysteem is alleen-lezen
os-file-denied = toegang geweigerd (deze gebruiker mag het niet schrijven, of het is vergrendeld)
os-no-file-here = in die map kan geen bestand worden gemaakt (een systeemmap zoals /proc of /sys)
os-folder-gone = de map { $folder } is er niet meer: die is verwijderd terwijl de wizard liep, en wordt niet opnieuw gemaakt
os-folder-in-the-way = er staat een map waar een bestand moet staan
os-disk-full = de schijf is vol
os-addr-in-use = die poort is al bezet (door een programma dat erop luistert, of door een net gesloten verbinding die hem een minuut vasthoudt)
os-addr-not-available = deze machine heeft dat adres niet
net-closed-no-answer = de server sloot de verbinding zonder te antwoorden
net-bad-header = de headers van het antwoord zijn geen geldig HTTP (een kapotte server, of iets onderweg dat antwoorden wijzigt)
net-bad-chunks = de blokken (Transfer-Encoding: chunked) zijn kapot
net-head-broken = de headers zijn kapot
net-tls-eof = de verbinding werd tijdens de TLS-handshake gesloten
net-not-http = wat antwoordde is geen HTTP (een andere dienst op die poort, of een TLS-server waar het adres http:// zegt)
net-cut-short = het eindigde vóór de aangekondigde lengte
net-stalled = het begon, stopte toen halverwege, en binnen de toegestane tijd kwam er niets meer
net-dns-unknown = de naam is onbekend bij de DNS van deze machine
gw-transport = het verzoek aan de gateway mislukte: { $detail }. Probeer opnieuw; blijft het, controleer dan het netwerk
gw-answer-malformed = het antwoord van de gateway kwam aan, maar is geen geldig HTTP: { $why }. Probeer opnieuw; blijft het, dan beschadigt de gateway of iets onderweg (een proxy) zijn antwoorden: laat het de beheerder van de gateway weten
gw-redirect-refused = de gateway leidde { $from } om naar { $to }, een andere server of een onbeveiligde verbinding; stepwise volgt dat niet. Geef bij --api het eigen adres van de gateway
gw-redirect-same-server = het adres van de gateway stuurde { $from } door naar { $to }, een pagina van dezelfde server die geen steps-aanroep is (hoogstwaarschijnlijk een aanmeld- of portaalpagina); stepwise volgt die niet en stuurt het token daar niet heen. Een steps-gateway beantwoordt zijn aanroepen met JSON, niet met een doorverwijzing: vraag wie die server beheert om de aanroepen van de gateway door te laten, of geef --api het eigen adres van de gateway
gw-redirect-to-https = de gateway op { $from } is verhuisd naar { $to } (https://); stepwise volgt geen omleiding. Gebruik het https://-adres in --api
gw-moved-away = de gateway stuurde { $from } door naar { $to }, dat HTTP { $status } antwoordde zonder foutbody van een gateway: --api bereikte de gateway, en zijn doorverwijzing leidt naar waar geen stappengateway antwoordt. Meld het aan de beheerder van de gateway; zijn de stappen daar voorgoed heen verhuisd, probeer dan --api met dat pad
gw-foreign-list = gevraagd naar de lijst van stepsID { $asked }, antwoordde de gateway de lijst van stepsID { $answered }; die wordt niet getoond als die van dit voertuig. De gateway is dit voertuig misschien opnieuw begonnen met een nieuwe stepsID: vraag op carAssociationID (`stepwise steps --car ID`); blijft het zo, dan haalt een proxy of cache tussen hier en de gateway antwoorden door elkaar
gw-foreign-next = gevraagd naar de volgende stap van stepsID { $asked }, antwoordde de gateway er een van stepsID { $answered }; die wordt niet getoond als die van dit voertuig. De gateway is dit voertuig misschien opnieuw begonnen met een nieuwe stepsID: vraag op carAssociationID (`stepwise steps --car ID`); blijft het zo, dan haalt een proxy of cache tussen hier en de gateway antwoorden door elkaar
gw-title-redirect = Omleiding niet gevolgd
gw-title-moved-away = Doorverwezen naar niets
gw-live-cut = de livestream van de gateway werd midden in een gebeurtenis afgebroken. Hij maakt zelf opnieuw verbinding; gebeurt het vaker, controleer dan de proxy's tussen hier en de gateway
gw-live-not-offered = de gateway beantwoordt de gebeurtenissenaanroep nu als een zonder live-gebeurtenissen (HTTP 404 of 405, zonder code 2346), al beantwoordt hij de lijsten: hij is misschien zonder ze teruggekomen na een herstart. Meld het aan de beheerder van de gateway als live volgen verwacht wordt
gw-live-cut-direct = de gateway brak zijn livestream af midden in een gebeurtenis (hier is geen proxy in gebruik). Hij maakt zelf opnieuw verbinding; gebeurt het vaker, laat het de beheerder van de gateway weten (of wie een reverse proxy ervoor beheert)
gw-live-silent = de livestream van de gateway stuurde { $secs } s lang niets, zelfs geen keep-alive. Hij maakt zelf opnieuw verbinding; gebeurt het vaker, controleer dan het netwerk
gw-live-silent-no-keepalive = de livestream van de gateway stuurde zijn eerste gebeurtenissen en daarna { $secs } s lang niets, zelfs niet de keep-alive die het contract minstens elke 15 s vraagt: de gateway stuurt geen keep-alives, of een proxy onderweg houdt ze tegen. Hij maakt zelf opnieuw verbinding, en een wijziging kan tot { $secs } s te laat verschijnen; laat het de beheerder van de gateway weten
gw-live-no-first-event = de livestream van de gateway ging open maar stuurde binnen { $secs } s geen lijst (hooguit keep-alives), terwijl de huidige lijsten meteen komen: misschien houdt een proxy hem tegen. Hij maakt zelf opnieuw verbinding en vraagt de lijsten daarna periodiek op
gw-live-no-first-event-direct = de livestream van de gateway opende maar stuurde binnen { $secs } s geen lijst (hooguit keep-alives), hoewel de huidige lijsten meteen komen; hier is geen proxy in gebruik, dus houdt de gateway, of een reverse proxy ervoor, ze tegen. Hij maakt zelf opnieuw verbinding en vraagt de lijsten dan in plaats daarvan op; laat het de beheerder van de gateway weten
gw-live-other-events = de livestream van de gateway stuurde gebeurtenissen van het type ‘{ $kind }’ en binnen { $secs } s geen van het type steps: de lijsten komen onder een ander gebeurtenistype dan dat van het contract, dus wordt er geen gelezen. Hij maakt zelf opnieuw verbinding en vraagt de lijsten dan in plaats daarvan op; meld de beheerder van de gateway dat elke lijst als `event: steps` (of zonder event-regel) moet komen
gw-live-no-list-events = de livestream van de gateway stuurde alleen gebeurtenissen van het type ‘{ $kind }’, zonder lijst erin, en binnen { $secs } s geen lijst, hoewel de huidige lijsten meteen komen. Hij maakt zelf opnieuw verbinding en vraagt de lijsten dan in plaats daarvan op; houdt dit aan, meld de beheerder van de gateway dat de stream elke lijst meteen als `event: steps` moet sturen
gw-live-not-text = de livestream van de gateway is geen UTF-8-tekst. Controleer of --api naar een stappen-gateway wijst
gw-live-bad-line = de livestream van de gateway bevat een regel die geen gebeurtenisveld is. Controleer of --api naar een stappen-gateway wijst
gw-live-lists = de live status volgt 1 tot 200 lijsten tegelijk, niet { $count }
gw-live-said = de livestream van de gateway stuurde een fout: { $said }. Hij verbindt zelf opnieuw; gebeurt het vaker, meld het dan aan de beheerder van de gateway
gw-live-said-cause = de livestream van de gateway stuurde een fout: { $said }
gw-live-said-no-step = de livestream van de gateway meldt dat deze stepsID geen stap meer heeft: { $said }. Begin opnieuw met de carAssociationID (de wizard doet dat zelf)
gw-live-contradicted = de livestream van de gateway voor { $count } lijsten meldde dat een stepsID geen stap meer heeft ({ $said }), maar elk van die lijsten antwoordt als ze met haar stepsID wordt opgevraagd: de gateway spreekt zichzelf tegen, en welk voertuig bedoeld was, is onbekend. stepwise volgt ze vanaf nu door op te vragen; meld het de beheerder van de gateway
gw-live-contradicted-one = de livestream van de gateway meldde dat deze stepsID geen stap meer heeft ({ $said }), maar haar lijst antwoordt als ze met die stepsID wordt opgevraagd: de gateway spreekt zichzelf tegen. stepwise volgt de lijst vanaf nu door op te vragen; meld het de beheerder van de gateway
gw-live-contradicted-unsent = { $count ->
    [one] De stream had voor stepsID { $ids } geen lijst gestuurd: misschien de bedoelde
   *[other] De stream had voor de stepsIDs { $ids } geen lijst gestuurd: misschien was een daarvan bedoeld
}
gw-live-left-out = de livestream van de gateway stuurde meteen de huidige lijsten van { $sent } van zijn { $lists } stepsIDs, maar niet { $count ->
        [one] die van stepsID { $ids }, die hij ook verschuldigd is
       *[other] die van de stepsIDs { $ids }, die hij ook verschuldigd is
    }: een weggelaten voertuig zou nooit gevolgd worden. In plaats daarvan worden de lijsten gevraagd; laat het de beheerder van de gateway weten
gw-live-refused = de gateway weigert zijn livestream maar beantwoordt de lijsten ({ $why }). In plaats daarvan worden de lijsten gevraagd
gw-live-refused-401-none = de gateway weigert zijn livestream zonder token (HTTP 401) maar beantwoordt de lijsten zonder: `stepwise login` vindt er geen nodig, dus geen aanmelding verandert dat. In plaats daarvan worden de lijsten gevraagd; meld het aan de beheerder van de gateway als live volgen verwacht wordt
gw-live-refused-401-sent = de gateway weigert voor zijn livestream het token dat zijn lijsten aannemen (HTTP 401): een nieuwe aanmelding geeft een gelijk token, dus verandert niets. In plaats daarvan worden de lijsten gevraagd; meld het aan de beheerder van de gateway als live volgen verwacht wordt
gw-live-closed-soon = de livestream van de gateway sloot kort na het sturen van zijn lijsten, { $times } keer op rij (telkens binnen een minuut): hij houdt geen stream open, dus een wijziging zou laat verschijnen. In plaats daarvan worden de lijsten gevraagd; laat het de beheerder van de gateway weten
gw-live-page = de gebeurtenissen-aanroep van de gateway antwoordde met een webpagina (HTML) waar zijn gebeurtenissenstroom hoort: iets voor de gateway (een proxy, een firewall) houdt stromen mogelijk tegen. In plaats daarvan worden de lijsten opgevraagd; vraag wie het netwerk voor de gateway beheert om text/event-stream door te laten, en staat er niets voor, meld het dan aan de beheerder van de gateway
gw-live-page-titled = de gebeurtenissen-aanroep van de gateway antwoordde met een webpagina (HTML, "{ $said }") waar zijn gebeurtenissenstroom hoort: iets voor de gateway (een proxy, een firewall) houdt stromen mogelijk tegen. In plaats daarvan worden de lijsten opgevraagd; vraag wie het netwerk voor de gateway beheert om text/event-stream door te laten, en staat er niets voor, meld het dan aan de beheerder van de gateway
gw-live-compressed = de livestream van de gateway kwam gecomprimeerd ({ $encoding }), hoewel stepwise daar niet om vraagt, dus zijn bytes zijn geen gebeurtenissen: de gateway, of een proxy onderweg, comprimeert hem. In plaats daarvan worden de lijsten opgevraagd; vraag de beheerder van de gateway (of van de proxy) text/event-stream ongecomprimeerd te sturen
gw-live-foreign = de livestream van de gateway stuurde een lijst van stepsID { $answered }, waar niet om gevraagd was, terwijl { $count ->
    [one] de gevraagde lijst antwoordt
   *[other] de { $count } gevraagde lijsten antwoorden
} als ze per stepsID worden opgevraagd, dus de lijst op het scherm bleef zoals hij is: meld het de beheerder van de gateway (of van een proxy of cache ertussen)
gw-user-info = de gateway-URL bevat een gebruikersnaam of wachtwoord (user:password@host), die stepwise niet toont en niet verstuurt. Haal ze uit de URL; het token van de gateway hoort in --token-file, STEPWISE_TOKEN of het configuratiebestand
gw-bad-url = de gateway-URL { $url } is onbruikbaar: { $reason }. Geef er een zoals http://127.0.0.1:8080
url-no-host = er staat geen host in
url-bad-port = de poort is geen getal van 1 tot en met 65535
url-bad-ip = het IP-adres is ongeldig (een IPv6-adres staat tussen haken, bv. http://[::1]:8080)
url-ipv6-brackets = het IPv6-adres staat niet tussen vierkante haken, dus de poort is er niet van te onderscheiden: schrijf het als http://[::1]:8080
url-port-twice = de poort staat er meer dan eens (een tweede :getal na de host): geef hem één keer
url-query = ze bevat een query (?…), die stepwise nooit verstuurt: geef de basis-URL van de gateway zonder (een token hoort in --token-file, STEPWISE_TOKEN of `stepwise login`)
url-ipv6-zone = het IPv6-adres draagt een zone (%eth0), die de host van een URL hier niet kan dragen: geef het globale adres van de gateway of een hostnaam
url-ipv6-unclosed = het IPv6-adres opent een haak [ die geen ] sluit: schrijf het als http://[::1]:8080
url-bad-host = de hostnaam bevat een teken dat geen hostnaam kan bevatten (een spatie?)
url-not-absolute = het is geen volledige URL
url-not-http = alleen http:// en https:// worden aangenomen
gw-bad-path = kan de URL van { $path } niet opbouwen: { $detail }
gw-bad-token = het token bevat tekens die een header niet kan dragen; controleer het tokenbestand
gw-http-setup = kan de HTTP-client niet opzetten: { $detail }
gw-demo-unavailable = kan de ingebouwde simulator niet starten op een lokale poort: { $detail }
gw-demo-state = de ingebouwde simulator kan zijn toestand niet bewaren in { $folder }: { $detail }. Dat moet een map zijn waarin deze gebruiker kan schrijven: herstel of verwijder wat in de weg staat, of geef --api een gateway
gw-demo-state-file = de ingebouwde simulator kan zijn toestand niet opslaan in { $file }: { $detail }. Dat bestand en zijn map moeten voor deze gebruiker schrijfbaar zijn (geen volle schijf, geen alleen-lezen of vergrendeld bestand): verhelp dat, of geef --api een gateway. Er is geen gateway schuldig: er is er geen
gw-400 = de gateway weigerde het verzoek als ongeldig
gw-400-todo = Controleer de getypte id; klopt die, meld dan een fout
gw-400-said-todo = Zijn woorden zeggen wat hij weigerde (de id is voor verzending gecontroleerd). Noemen ze een header of parameter, dan kan iets onderweg (een proxy) verzoeken wijzigen: waarschuw wie het netwerk beheert; meld anders een fout
gw-400-filter-todo = Zijn woorden noemen het statusfilter (stepsStatus): deze gateway neemt het niet. Toon de lijst zonder (geen --status; in de wizard f tot het filter op alle staat), en meld het aan de beheerder van de gateway als u het nodig hebt
gw-400-filter-unchosen-todo = Zijn woorden noemen het statusfilter (stepsStatus), hoewel er geen gekozen is: stepwise vraagt om alle stappen (stepsStatus=all, de standaard van het contract, daarna helemaal zonder stepsStatus), en geen keuze hier verandert dat. Meld de beheerder van de gateway dat deze aanroep wordt geweigerd
gw-400-id-todo = Zijn woorden noemen de id: de gateway neemt de gegeven id niet aan (zijn regel voor id's kan strenger zijn dan letters a–z, A–Z, cijfers, - en _). Controleer de id met het account van de klant
gw-400-coded = de gateway weigerde het verzoek met een app-code
gw-400-coded-todo = Wat de code betekent en wat hem verhelpt, volgt hieronder
gw-401 = de gateway wil een geldig token
gw-401-todo = Log in met `stepwise login`, of geef een token met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-403 = deze stepsID hoort bij een ander apparaat
gw-403-todo = Begin opnieuw met de carAssociationID
gw-403-refused = de gateway weigert dit verzoek
gw-403-refused-todo = Zijn woorden zeggen waarom (een account of voertuig dat hij niet toelaat); controleer de carAssociationID bij het account van de klant, of vraag het aan wie de gateway beheert
gw-404 = de gateway kent deze id niet
gw-404-todo = Controleer de carAssociationID of stepsID en probeer opnieuw
gw-404-steps-id = de gateway heeft geen stap voor deze stepsID: hij kent haar niet, of is haar vergeten
gw-404-steps-id-todo = Vraag de lijst opnieuw op per carAssociationID (`stepwise steps --car ID`): die geeft de huidige stepsID van het voertuig
gw-404-unnamed = voor deze aanroep is op dit adres niets gevonden: een id die de gateway niet kent, of een pad dat daar door niets wordt bediend
gw-404-unnamed-todo = Controleer de carAssociationID of stepsID; krijgt elke id dit antwoord, dan wijst --api niet naar de stappengateway (de eigen 404 van een router): controleer --api
gw-404-call = de gateway weigerde de aanroep voor de volgende stap, zonder code 2346 (zijn teken voor een onbekende stepsID)
gw-call-not-served = de gateway bedient de aanroep voor de volgende stap niet (een methode of aanroep die hij niet aanbiedt), welke stepsID ook
gw-404-call-todo = Toont `stepwise steps --steps-id ID` de stappen van dit voertuig, dan klopt de id en biedt de gateway de aanroep voor de volgende stap niet aan, of iets ervoor stuurt hem niet door: meld het aan de beheerder van de gateway. Die lijst toont de volgende stap ook (gemarkeerd NEXT)
gw-404-no-steps = de gateway heeft geen stappen voor deze carAssociationID
gw-404-no-steps-todo = Controleer de carAssociationID; klopt die, dan heeft dit voertuig bij deze gateway geen stappen voor het activeren van diensten: vraag de beheerder van de gateway waarom
gw-409 = de gateway weigert: een eerdere stap is niet afgerond
gw-409-todo = Rond eerst de eerdere stappen af
gw-429 = de gateway beperkt de verzoeken
gw-408 = de gateway, of iets ervoor, gaf het wachten op het hele verzoek op (een trage of verbroken verbinding), wat geen weigering is
gw-408-todo = Probeer het opnieuw; houdt het aan, meld het dan aan de beheerder van de gateway (of van het netwerk ervoor)
gw-429-todo = Wacht een minuut en probeer opnieuw
gw-429-todo-past = Hij beperkt nog steeds na de wachttijd die zijn Retry-After vroeg (stepwise wachtte die af en vroeg opnieuw): wacht een minuut en probeer opnieuw; houdt het aan, laat het de beheerder van de gateway weten
gw-429-todo-after = Wacht { $secs } s (de Retry-After van het antwoord) en probeer opnieuw
gw-429-todo-absurd = Hij vraagt { $wait } te wachten (zijn Retry-After), wat geen limiet op verzoeken nodig heeft: zijn klok of instelling klopt niet. Meld het aan de beheerder van de gateway
gw-5xx = de gateway faalde
gw-proxy-5xx = de proxy antwoordde met een eigen foutpagina (de gateway is misschien niet bereikt)
gw-5xx-todo = Probeer over een minuut opnieuw; blijft het, laat het de beheerder van de gateway weten
gw-5xx-todo-after = Probeer over { $secs } s opnieuw (de Retry-After van het antwoord); blijft het, laat het de beheerder van de gateway weten
gw-5xx-todo-absurd = Hij vraagt { $wait } te wachten (zijn Retry-After), wat geen herstart nodig heeft: zijn klok of zijn instelling klopt niet. Probeer het over een minuut opnieuw; blijft het zo, meld het dan aan de beheerder van de gateway
gw-other = de gateway weigerde het verzoek
gw-3xx = er kwam geen lijst terug: een omleiding zonder bruikbaar adres, of een "niet gewijzigd" van een cache op een verzoek dat daar niet om vroeg
gw-3xx-todo = Iets tussen hier en de gateway (een proxy, een cache), of de gateway, is verkeerd ingesteld: controleer --api, en meld het aan wie het netwerk of de gateway beheert
gw-other-todo = Controleer --api en probeer opnieuw
gw-other-said-todo = Zijn woorden zeggen waarom; helpen ze niet, waarschuw dan wie de gateway beheert
gw-reset-refused = de gateway weigerde de reset van de stappencache
gw-reset-refused-todo = Opnieuw resetten helpt niet. Zijn woorden zeggen waarom: zeggen ze dat het account of het apparaat geblokkeerd is, verwijder dan alle registraties in het account van de klant en begin opnieuw; meld het anders aan de beheerder van de gateway
gw-reset-refused-conflict-todo = Een conflict (HTTP 409) kan betekenen dat er voor dit voertuig al een wissen of een wijziging bezig is: wacht even en wis dan opnieuw; blijft het zo, meld het dan aan de beheerder van de gateway
gw-reset-refused-call-todo = HTTP { $status } zegt niet dat het account of het apparaat geblokkeerd is: de gateway, of iets ervoor, nam de aanroep niet aan zoals hij verzonden werd. Controleer --api; klopt het, meld het dan aan de beheerder van de gateway, met zijn woorden
gw-app-code = App-code { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = App-code { $code }: { $meaning }.
gw-code = code { $code }
gw-title-redirects = Doorverwijzingslus
steps-many-summary-late = geen lijst binnen { $secs } s (geen antwoord, of nog niet gevraagd: stderr zegt welke): { $n } ({ $ids })
steps-many-summary-failed = mislukt: { $n } ({ $ids }), de oorzaken staan op stderr
steps-many-summary = Opgesomde voertuigen: { $listed } van { $total }
cli-shared-steps-id = één stepsID ({ $id }) kwam voor { $count } voertuigen ({ $cars }). Een stepsID hoort bij één voertuig: een proxy of cache tussen hier en de gateway (een die de query negeert), of de gateway zelf, haalt antwoorden door elkaar, dus deze lijsten kunnen van een ander voertuig zijn. Vertrouw er niet op; meld het aan de beheerder van de gateway (en aan de netwerkbeheerder, waar een proxy is ingesteld)
steps-many-late = geen antwoord binnen de termijn van { $secs } s (--deadline); bij een latere run antwoordt hij misschien
steps-many-unsent = niet gevraagd vóór de termijn van { $secs } s (--deadline): het wachtte op zijn beurt, omdat voertuigen met een paar tegelijk worden gevraagd (--concurrency). Geef een langere --deadline of een hogere --concurrency
steps-many-unsent-hung = niet gevraagd vóór de termijn van { $secs } s (--deadline): de voertuigen die eerder werden gevraagd kregen geen antwoord (de gateway is bezet of hangt), dus een langere --deadline of een hogere --concurrency stuurt alleen meer verzoeken in hetzelfde wachten. Voer het opnieuw uit als de gateway antwoordt (`stepwise doctor` controleert het); blijft het zo, laat het de beheerder van de gateway weten
steps-many-limited = de gateway bleef verzoeken beperken (HTTP 429) tot de termijn van { $secs } s (--deadline): hij antwoordde, maar vroeg te wachten. Is de gevraagde wachttijd (genoemd op stderr) langer dan { $secs } s, geef dan een --deadline langer dan die wachttijd; zo niet, dan blijft hij deze client beperken: probeer het later opnieuw, of vraag de beheerder van de gateway naar zijn limiet
steps-many-limited-longer = de gateway beperkte verzoeken (HTTP 429) tot de termijn van { $secs } s (--deadline): hij vroeg { $wait } s te wachten, langer dan de termijn. Geef een --deadline boven { $wait } s, of voer het na die wachttijd opnieuw uit
steps-many-limited-again = de gateway bleef verzoeken beperken (HTTP 429) tot de termijn van { $secs } s (--deadline): na de gevraagde { $wait } s wachten beperkte hij ze opnieuw. Hij blijft deze client beperken: probeer het later opnieuw, of vraag de beheerder van de gateway naar zijn limiet
steps-many-held-unsent = niet gevraagd: de limiet van de gateway (HTTP 429, geantwoord op een ander verzoek) hield elk verzoek tegen tot de termijn van { $secs } s (--deadline). Is de gevraagde wachttijd (op stderr genoemd) langer dan { $secs } s, geef dan een --deadline langer dan die wachttijd; zo niet, dan blijft hij deze client beperken: probeer het later opnieuw, of vraag de beheerder van de gateway naar zijn limiet
steps-many-retry-held = Zijn nieuwe poging werd daarna tegengehouden door de limiet van de gateway (HTTP 429, gevraagd aan een ander verzoek) tot de deadline van { $secs } s (--deadline).
steps-many-paused = De limiet van de gateway (HTTP 429, gevraagd aan een ander verzoek) houdt elk verzoek nog { $secs } s tegen: probeer het daarna opnieuw.
steps-many-summary-limited = tot { $secs } s tegengehouden door HTTP 429: { $n } ({ $ids })
steps-many-summary-shared = onder een stepsID waaronder ook de lijst van een ander voertuig kwam, niet betrouwbaar (stderr zegt waarom): { $n } ({ $ids })
gw-title-token-refused = Token geweigerd
gw-title-scope = Scope ontbreekt
gw-title-proxy = Antwoord van de proxy
gw-title-proxy-unreachable = Proxy onbereikbaar
gw-title-not-a-gateway = Geen steps-gateway
gw-title-no-list-here = Geen lijst voor deze id
gw-title-call-not-offered = Aanroep niet aangeboden
gw-title-refused = Toegang geweigerd
gw-title-captive-portal = Aanmelding bij het netwerk nodig
gw-connect-timed-out = geen verbinding met { $base } binnen { $secs } s: niets nam haar aan (de server is overbelast, of een firewall gooit de pakketten weg). Controleer het netwerk en --api en probeer opnieuw
gw-redirects = de gateway op { $base } stuurt in een kringetje door, of te vaak. Controleer --api (het adres kan veranderd zijn); klopt het, laat het de beheerder van de gateway weten
gw-wants-tls = de server op { $base } spreekt TLS, maar --api zegt http://. Gebruik https:// in --api
gw-port-plain-http = de server op { $base } spreekt gewoon HTTP, geen TLS, maar --api zegt https://. Gebruik http:// in --api, of de poort waar hij HTTPS aanbiedt
gw-port-not-http = de server op { $base } spreekt geen HTTP en geen TLS (hij begon met "{ $said }"): de poort in --api is van een andere dienst. Controleer de poort
gw-port-not-http-here = de server op { $base } antwoordde op dit verzoek met iets dat geen HTTP en geen TLS is: een kapotte server, of niet de gateway. Controleer --api
gw-port-tls-closed = de server op { $base } nam de verbinding aan en sloot die tijdens de TLS-handshake: misschien spreekt hij op deze poort geen TLS, of weigert hij deze client. Controleer de poort in --api; `stepwise doctor` zegt meer
gw-port-tls-silent = de server op { $base } nam de verbinding aan maar deed binnen { $secs } s geen TLS-handshake: misschien spreekt de poort geen TLS, of hangt de server. Controleer de poort in --api; klopt die, waarschuw dan wie de gateway beheert
gw-401-login = HTTP 401: de gateway weigerde het token van de login die `stepwise login` bewaarde. Log opnieuw in met `stepwise login`; bewaar bij een gateway met een vast token het huidige met `stepwise login --with-token`
gw-token-dropped = HTTP 401: de gateway antwoordt alsof er geen token aankwam (zijn challenge noemt geen fout), hoewel het token uit { $from } via de proxy { $proxy } verstuurd is: de proxy haalt misschien de Authorization-header weg, dus elk token zou net zo geweigerd worden. Zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is, of vraag de beheerder van de proxy de Authorization-header door te laten
gw-401-login-expired = HTTP 401: het token van de login die `stepwise login` bewaarde is { $ago } geleden verlopen, en de identiteitsprovider gaf geen refresh-token om het te vernieuwen: daarom weigert de gateway het. Log opnieuw in met `stepwise login`
gw-401-login-no-signin = HTTP 401: de gateway weigerde het token dat met `stepwise login --with-token` is bewaard. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Vraag die om het huidige token en bewaar het met `stepwise login --with-token`
gw-401-config = HTTP 401: de gateway weigerde het token uit het configuratiebestand (`token` of `token_file`). Zet daar het huidige token van deze gateway, of haal het weg en log in met `stepwise login`
gw-401-environment = HTTP 401: de gateway weigerde het token in STEPWISE_TOKEN. Zet die op het huidige token van deze gateway, of verwijder hem en log in met `stepwise login`
gw-401-environment-login-kept = HTTP 401: de gateway weigerde het token in STEPWISE_TOKEN, dat voorgaat op de aanmelding die voor deze gateway bewaard is. Verwijder STEPWISE_TOKEN om die aanmelding te gebruiken (de gateway nam hem zojuist aan), of zet hem op het huidige token van deze gateway
gw-401-environment-login-refused = HTTP 401: de gateway weigerde het token in STEPWISE_TOKEN, en ook de aanmelding die voor deze gateway bewaard is (zojuist geprobeerd). Zet STEPWISE_TOKEN op het huidige token van deze gateway; de bewaarde aanmelding moet ook vernieuwd worden (`stepwise login`, of `stepwise login --with-token` waar de gateway geen aanmelding biedt)
gw-401-token-file = HTTP 401: de gateway weigerde het token uit --token-file. Zet het huidige token van deze gateway in dat bestand, of laat --token-file weg en log in met `stepwise login`
gw-401-token-file-login-kept = HTTP 401: de gateway weigerde het token uit --token-file, dat voorgaat op de aanmelding die voor deze gateway bewaard is. Laat --token-file weg om die aanmelding te gebruiken (de gateway nam hem zojuist aan), of zet het huidige token van deze gateway in dat bestand
gw-401-token-file-login-refused = HTTP 401: de gateway weigerde het token uit --token-file, en ook de aanmelding die voor deze gateway bewaard is (zojuist geprobeerd). Zet het huidige token van deze gateway in dat bestand; de bewaarde aanmelding moet ook vernieuwd worden (`stepwise login`, of `stepwise login --with-token` waar de gateway geen aanmelding biedt)
gw-401-none = HTTP 401: de gateway wil een token, en er is geen verstuurd. Log in met `stepwise login`, of geef een token met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-401-expired = Het token is { $ago } geleden verlopen, volgens de vervaldatum die erin staat: daarom wordt het geweigerd
gw-401-said = De gateway zegt: "{ $said }"
gw-401-none-no-signin = HTTP 401: de gateway wil een token en er is er geen verstuurd. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Bewaar dat token met `stepwise login --with-token`, of geef het met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-404-demo = HTTP 404: de demo-backend kent dit id niet{ $said }. Er is geen gateway ingesteld (geen --api, STEPWISE_API of `api` in het configuratiebestand), dus antwoordde de ingebouwde demo, en die kent alleen { $ids }. Geef --api URL om uw gateway te vragen
gw-404-demo-steps-id = HTTP 404: de demo-backend kent deze stepsID niet{ $said }. Er is geen gateway ingesteld (geen --api, STEPWISE_API of `api` in het configuratiebestand), dus antwoordde de ingebouwde demo. Haar stepsID's komen met een lijst die per carAssociationID wordt gevraagd (ze kent { $ids }): `stepwise steps --car ID` geeft er een. Geef --api URL om uw gateway te vragen
gw-404-demo-wizard = HTTP 404: de demo-backend kent dit id niet{ $said }. Er is geen gateway ingesteld (geen --api, STEPWISE_API of `api` in het configuratiebestand), dus antwoordde de ingebouwde demo; het startscherm biedt de id's aan die ze kent. Stop en start opnieuw met --api URL om uw gateway te vragen
gw-404-demo-board = HTTP 404: de demo-backend kent dit id niet{ $said }. Er is geen gateway ingesteld (geen --api, STEPWISE_API of `api` in het configuratiebestand), dus antwoordde de ingebouwde demo, en die kent alleen haar eigen voertuigen (`stepwise demo --board` opent een overzicht met allemaal). Stop en start opnieuw met --api URL om uw gateway te vragen
gw-404-demo-command = HTTP 404: de demo-backend kent deze id niet{ $said }. `stepwise demo` draait altijd op de ingebouwde demo, die alleen haar eigen id's kent (die ze aanbiedt). Om uw gateway te vragen: sluit af en voer `stepwise --api URL --car ID` uit, of `stepwise fleet --api URL --cars BESTAND` voor een overzicht
gw-401-login-unreadable = HTTP 401: de gateway wil een token, en er is geen verstuurd: de door `stepwise login` bewaarde aanmeldingen konden niet gelezen worden: { $why }. Of geef een token met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-401-login-damaged = HTTP 401: de gateway wil een token, en er is geen verstuurd: { $why }, en voer daarna `stepwise login` uit om opnieuw in te loggen. Of geef een token met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
gw-401-config-no-signin = HTTP 401: de gateway weigerde het token uit het configuratiebestand (`token` of `token_file`). Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Zet daar het huidige token van deze gateway
gw-401-environment-no-signin = HTTP 401: de gateway weigerde het token in STEPWISE_TOKEN. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Zet STEPWISE_TOKEN op het huidige token van deze gateway
gw-401-token-file-no-signin = HTTP 401: de gateway weigerde het token uit --token-file. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Zet het huidige token van deze gateway in dat bestand
gw-proxy-other-todo = Controleer { $from } (de gebruikte proxyvariabele), zet NO_PROXY voor de host van de gateway als die zonder de proxy bereikbaar is, of vraag het de beheerder van de proxy
gw-proxy-429-todo = De proxy beperkt de verzoeken: wacht een paar minuten (zijn Retry-After, als hij er een gaf) en probeer opnieuw; houdt het aan, vraag dan de beheerder van de proxy
gw-proxy-429-wait-todo = De proxy beperkt de verzoeken en vraagt { $secs } s te wachten: probeer het daarna opnieuw; blijft het zo, vraag het de beheerder van de proxy
gw-proxy-unset-407 = een proxy van dit netwerk antwoordde zelf HTTP { $status }{ $said }, hoewel hier geen is ingesteld, dus het verzoek heeft de gateway nooit bereikt. Zet HTTPS_PROXY (HTTP_PROXY voor een http://-gateway) op http://gebruiker:wachtwoord@proxy:poort met het adres van die proxy, of vraag het de netwerkbeheerder
gw-proxy-unreachable = geen verbinding met de proxy { $proxy } (uit { $from }): { $detail }. De gateway is niets gevraagd. Controleer de proxyvariabele, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-silent = de proxy { $proxy } (uit { $from }) opende binnen { $secs } s geen weg naar { $host }: hij nam geen verbinding aan, of nam er een aan en antwoordde nooit. De gateway is niet gevraagd. Controleer dat de proxy draait en dat de proxyvariabele hem noemt, vraag het aan wie de proxy beheert, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-tunnel = de proxy { $proxy } (uit { $from }) opende geen tunnel (CONNECT) naar { $host }; het verzoek heeft de gateway nooit bereikt: hij laat deze host en poort niet door, of hij kon de gateway niet bereiken (uitgevallen, of een naam die de proxy niet kent). Controleer dat de gateway draait en dat de host in --api klopt, vraag de beheerder van de proxy of die deze host en poort doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-no-tunnel = wat { $from } noemt, { $proxy }, antwoordde HTTP { $status } op CONNECT: het opent helemaal geen tunnels, dus het is een webserver, of een proxy die https:// niet kan doorgeven. De gateway is niet gevraagd. Controleer { $from }: het moet een HTTP-proxy noemen die https tunnelt (vaak poort 3128 of 8080)
gw-proxy-tunnel-closed = de proxy { $proxy } (uit { $from }) opende een tunnel naar { $host }, die daarna tijdens de TLS-handshake werd gesloten: de proxy, of wat erachter zit, verbrak hem. Vraag wie de proxy beheert of hij TLS naar deze host doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
tls-or-plain-http = Of de gateway aan het eind spreekt gewoon HTTP op die poort, terwijl --api https:// zegt: gebruik dan http:// in --api (`stepwise doctor` zonder de proxy, NO_PROXY={ $host }, zegt welke)
gw-proxy-garbled = wat via de proxy { $proxy } (uit { $from }) terugkwam is geen HTTP: de proxyvariabele noemt misschien iets dat geen HTTP-proxy is, of de proxy is defect. Controleer de proxyvariabele, vraag wie de proxy beheert, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-empty = het antwoord dat via de proxy { $proxy } (uit { $from }) kwam is leeg, waar een JSON-lijst van stappen werd verwacht: de proxy heeft misschien zelf geantwoord, of een leeg antwoord doorgegeven. Controleer de proxyvariabele, vraag wie de proxy beheert, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-html = wat via de proxy { $proxy } (uit { $from }) kwam is een HTML-pagina, waar een JSON-lijst van stappen werd verwacht: de eigen pagina van de proxy (een aanmeld- of portaalpagina), of een webserver op --api. Zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is; controleer anders of --api naar een stappengateway wijst
gw-proxy-no-list = wat via de proxy { $proxy } (uit { $from }) kwam is geen lijst van stappen: { $why }. De proxy heeft misschien zelf geantwoord, of wat op --api antwoordt is geen stappengateway. Zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is; kwamen er eerder lijsten van deze --api, vraag dan wie de proxy beheert wat die antwoordde; zo niet, controleer of --api naar een stappengateway wijst
gw-proxy-too-large = wat via de proxy { $proxy } (uit { $from }) kwam is groter dan { $kib } KiB en is niet verder gelezen: geen lijst van stappen is zo groot. De proxy heeft misschien zelf geantwoord, of wat op --api antwoordt is geen stappengateway. Zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is; kwamen er eerder lijsten van deze --api, vraag dan wie de proxy beheert wat die antwoordde; zo niet, controleer of --api naar een stappengateway wijst
gw-proxy-closed = de proxy { $proxy } (uit { $from }) sloot de verbinding zonder antwoord; of de gateway gevraagd is, is onbekend. Probeer opnieuw; blijft het, vraag wie de proxy beheert, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-connect-closed = de proxy { $proxy } (uit { $from }) sloot de verbinding zonder het verzoek om een tunnel (CONNECT) naar { $host } te beantwoorden, dus de gateway is niet gevraagd. Probeer het opnieuw; blijft het zo, vraag dan wie de proxy beheert of hij deze host doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-proxy-5xx-todo = De proxy gaf dit verzoek niet door. Komt er niets via hem bij deze --api, controleer dan of de gateway draait en of --api klopt; komen andere verzoeken wel door (lijsten van andere voertuigen), dan laat de proxy dit ene mislukken: vraag het de beheerder ervan
gw-proxy-5xx-wait-todo = De proxy gaf dit verzoek niet door, en vraagt { $secs } s te wachten (zijn Retry-After): probeer het daarna opnieuw. Komt er niets via hem naar deze --api, controleer dan dat de gateway draait en dat --api klopt; komen andere verzoeken wel door (lijsten van andere voertuigen), dan faalt de proxy op dit verzoek: vraag het wie hem beheert
gw-proxy-loopback = de gateway staat op deze machine ({ $host }), maar { $from } stuurt zijn verzoeken naar de proxy { $proxy }, die zelf HTTP { $status } antwoordde: het verzoek heeft de gateway nooit bereikt. De proxy (of een waarnaar hij doorstuurt) bereikt de eigen adressen van deze machine niet: zet NO_PROXY={ $host } en probeer het opnieuw
gw-proxy-loopback-tunnel = de gateway staat op deze machine ({ $host }), maar { $from } stuurt zijn verzoeken naar de proxy { $proxy }, die er geen tunnel (CONNECT) naartoe opende: het verzoek heeft de gateway nooit bereikt. De proxy (of een waarnaar hij doorstuurt) bereikt de eigen adressen van deze machine niet: zet NO_PROXY={ $host } en probeer het opnieuw
gw-proxy-loopback-down = niets luistert op { $host }:{ $port }, het adres van de gateway op deze machine (rechtstreeks geprobeerd): de gateway draait daar niet, dus ook de proxy { $proxy } (uit { $from }) kon hem niet bereiken. Controleer of de gateway draait en of de poort in --api klopt
gw-proxy-refused-todo = De proxy weigerde zijn gebruikersnaam en wachtwoord: controleer ze in de proxyvariabele (http://gebruiker:wachtwoord@proxy:poort), of vraag het de beheerder van de proxy
gw-proxy-401-basic-todo = Het vraagt bij HTTP 401 om een gebruikersnaam en wachtwoord (Basic). Een proxy die zo vraagt (tinyproxy doet dat) neemt ze uit de proxyvariabele (http://user:password@proxy:port); de aanmelding van een webserver achter de proxy neemt er geen uit, en stepwise kan die niet beantwoorden: vraag dan wie hem beheert, of zet NO_PROXY voor de host van de gateway als die direct bereikbaar is
gw-proxy-401-basic-refused-todo = Het vraagt bij HTTP 401 om een gebruikersnaam en wachtwoord (Basic) hoewel de proxyvariabele er bevat: de proxy weigerde ze (controleer ze, met tekens als @ of : procent-gecodeerd), of de aanmelding is van een webserver achter de proxy, die er geen uit de proxyvariabele neemt en die stepwise niet kan beantwoorden. Vraag wie de proxy beheert, of zet NO_PROXY voor de host van de gateway als die direct bereikbaar is
gw-proxy-portal-todo = De proxy, of een portaal ervoor, wil een eigen aanmelding (die van een portaal, of een ander schema dan Basic), die geen gebruikersnaam en wachtwoord in de proxyvariabele beantwoordt: meld je daar aan in een browser op deze machine, of vraag wie de proxy beheert; of zet NO_PROXY voor de host van de gateway als die direct bereikbaar is
gw-proxy-forbidden-todo = De proxy weigert dit verzoek volgens zijn eigen regels (dit adres, of deze client): vraag wie de proxy beheert om het adres van de gateway door te laten, of zet NO_PROXY voor de host van de gateway als die zonder de proxy bereikbaar is
gw-proxy-credentials-refused = de proxy { $proxy } (uit { $from }) weigerde de gebruikersnaam en het wachtwoord uit de proxyvariabele (HTTP 407), dus het verzoek bereikte de gateway nooit. Controleer ze (http://gebruiker:wachtwoord@proxy:poort, met tekens als @ of : procent-gecodeerd), of vraag het aan wie de proxy beheert
gw-proxy-407-todo = De proxy wil een gebruikersnaam en wachtwoord: zet ze in de proxyvariabele (http://gebruiker:wachtwoord@proxy:poort), of zet NO_PROXY voor de host van de gateway als die rechtstreeks bereikbaar is
gw-proxy-windows-todo = De proxy vraagt om Windows-aanmelding (Negotiate of NTLM), die stepwise niet kan geven: geen gebruikersnaam en wachtwoord in de proxyvariabele beantwoordt die. Vraag wie de proxy beheert het adres van de gateway zonder die door te laten (of Basic aan te bieden), of zet NO_PROXY voor de host van de gateway als die direct bereikbaar is
gw-proxy = de proxy { $proxy } (uit { $from }) antwoordde zelf HTTP { $status }{ $said }; het verzoek heeft de gateway nooit bereikt. { $todo }
gw-not-a-gateway = { $base } antwoordde HTTP { $status } zonder de foutinhoud van een gateway: dit adres is geen steps-gateway (een verkeerd pad in --api, of een andere webserver). Geef --api de basis-URL waaronder pims/subscription/steps staat, zoals https://gateway.example/ of https://host/prefix/
gw-not-a-gateway-listed = { $base } antwoordde HTTP { $status } zonder de foutinhoud van een gateway, hoewel in deze sessie lijsten van andere voertuigen van dit adres kwamen: --api klopt, en de gateway kent deze id hoogstwaarschijnlijk niet. Controleer de id; klopt die, laat het de beheerder van de gateway weten (een route ervoor kan dit ene verzoek weigeren)
gw-not-a-gateway-proxy = { $base } antwoordde HTTP { $status } via de proxy { $proxy }, zonder de foutinhoud van een gateway: de eigen pagina van de proxy (een hostnaam die hij niet kon opzoeken of bereiken), of een adres dat geen steps-gateway is. Controleer de hostnaam in --api, of stel NO_PROXY={ $host } in als de gateway zonder de proxy bereikbaar is; klopt de host, geef --api dan de basis-URL waaronder pims/subscription/steps staat, zoals https://gateway.example/
gw-call-not-offered = { $base } antwoordde HTTP { $status } zonder foutinhoud van een gateway op de aanroep { $call }. Werkt de lijst per carAssociationID op dit adres (`stepwise steps --car ID`), dan klopt --api en biedt de gateway deze aanroep niet aan, of iets ervoor stuurt hem niet door: meld het aan de beheerder van de gateway. Zo niet, dan is --api niet de basis-URL van een stappengateway: geef die waaronder pims/subscription/steps staat, zoals https://gateway.example/
gw-not-a-gateway-path = { $base } antwoordde HTTP { $status }: --api bevat het pad van de aanroep ({ $path }), dat stepwise zelf toevoegt. Geef --api het adres ervoor: { $suggested }
gw-basic-prompt = { $base } vraagt om een gebruikersnaam en wachtwoord (HTTP 401, Basic): de aanmelding van een webserver of reverse proxy, waarop stepwise niet kan antwoorden; een stappengateway neemt een bearer-token. Controleer --api, of vraag wie die server beheert de verzoeken aan de gateway door te laten
gw-windows-prompt = { $base } vraagt om Windows-aanmelding (HTTP 401, Negotiate of NTLM): de aanmelding van een webserver of reverse proxy, waarop stepwise geen antwoord kan geven; een stappengateway neemt een bearer-token. Controleer --api, of vraag wie die server beheert de verzoeken aan de gateway door te laten
gw-refused = { $base } antwoordde HTTP { $status }{ $said }{ $via } zonder foutinhoud in de vorm van het gatewaycontract: opgevat als toegang geweigerd door iets vóór de gateway (een firewall, een webapplicatiefirewall of een reverse proxy), niet als een geweigerde stepsID. Controleer het token en de rechten ervan; kloppen die, vraag dan de beheerder van het netwerk of die dit adres blokkeert
gw-refused-no-token = { $base } antwoordde HTTP { $status }{ $said }{ $via } zonder foutinhoud in de vorm van het gatewaycontract: opgevat als toegang geweigerd door iets vóór de gateway (een firewall, een webapplicatiefirewall of een reverse proxy), niet als een geweigerde stepsID. Er is geen token verstuurd. Waar geen enkel voertuig zijn lijst zonder token van deze gateway krijgt, wil de gateway misschien een token: geef het dan (--token-file PAD, STEPWISE_TOKEN, `stepwise login` of, waar de gateway geen aanmelding biedt, `stepwise login --with-token`). Waar andere voertuigen hun lijsten zonder token van deze gateway krijgen, ontbreekt er geen: vraag de beheerder van het netwerk of de gateway waarom de oproep van dit voertuig wordt geblokkeerd
gw-refused-via-proxy = { $base } antwoordde via de proxy { $proxy } met HTTP { $status }{ $said }, zonder de foutinhoud van een gateway: de proxy, of iets vóór de gateway, weigerde het verzoek. Vraag wie de proxy beheert of hij dit adres doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-401-via-proxy = { $base } antwoordde HTTP 401{ $said } via de proxy { $proxy }, een webpagina, niet de foutbody van een gateway: de proxy, een portaal ervoor, of iets voor de gateway (een reverse proxy, een webserver) wil een eigen aanmelding, die geen token van de gateway beantwoordt. Meld u daar aan in een browser op deze machine, of vraag het wie de proxy en de gateway beheert; of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
gw-401-bare-through-proxy = Dit antwoord kwam via de proxy { $proxy } (uit { $from }) als een kale HTTP 401, zonder body en zonder challenge, die de proxy zelf kan hebben gegeven: komt een token er niet langs, vraag dan wie de proxy beheert of die een eigen aanmelding wil, of zet NO_PROXY={ $host } als de gateway direct bereikbaar is
gw-front-400 = { $base } beantwoordde met HTTP { $status }{ $said }{ $via } en een webpagina, zonder foutbody van een gateway: iets vóór de gateway (een reverse proxy of een web application firewall) weigerde het verzoek, dus de gateway deed er nooit iets mee. Het id is niet de oorzaak (stepwise controleert het vóór verzending), en --api klopt als er eerder lijsten van kwamen: vraag wie dat adres beheert wat de pagina betekent
gw-front-401 = { $base } antwoordde HTTP 401{ $said } met een webpagina en zonder aanmeldingschallenge (geen WWW-Authenticate-header), waar een stappengateway antwoordt met zijn foutbody en zegt hoe hij zijn token wil: iets vóór de gateway (een reverse proxy, een webserver of een portaal) vraagt om een eigen aanmelding. Kwamen er eerder lijsten van dit adres zonder token, dan ontbreekt er geen gatewaytoken: vraag wie het netwerk of de gateway beheert wat om deze aanmelding vraagt; anders, vraag hun of de gateway daar een token wil
gw-title-unreachable = Gateway onbereikbaar
gw-title-timed-out = Gateway antwoordt niet
gw-title-timed-out-proxy = Geen antwoord via de proxy
gw-title-bad-request = Verzoek geweigerd
gw-title-unauthorized = Token nodig
gw-title-wrong-device = stepsID van een ander apparaat
gw-title-forbidden = Geweigerd door de gateway
gw-title-not-found = Onbekende id
gw-title-no-steps = Geen stappen
gw-title-conflict = Verkeerde volgorde
gw-title-reset-refused = Reset geweigerd
gw-title-too-many = Te veel verzoeken
gw-title-server-failure = Storing van de gateway
gw-title-failed = Verzoek mislukt
gw-title-too-large = Antwoord te groot
gw-title-bad-answer = Onbruikbaar antwoord
gw-title-config = Foute configuratie

## The guidance pages the customer's phone opens

page-kicker = Uw verbonden diensten activeren: een van de stappen
page-errors = Codes die de app bij deze stap kan tonen
page-footer = Getoond door uw dealer met stepwise
page-does = Zo gaat u te werk:
page-needs = Dit heeft u nodig:
page-errors-hint = Toont de app een van deze codes, meld dat dan aan uw dealer: die weet wat helpt.
page-unknown-purpose = Het hulpmiddel van uw dealer heeft geen instructies voor deze stap.
page-unknown-does =
    Open de app en volg wat die voor deze stap vraagt.
    Toont de app een foutcode, noteer die dan en laat hem aan uw dealer zien.
page-step-deviceActivation-purpose = Registreert deze telefoon voor sterke authenticatie: de telefoon is wat u heeft, de pincode wat u weet.
page-step-mediumCarKey-purpose = Bewijst dat u echt de sleutels van het voertuig heeft. Hoeft maar één keer.
page-step-trusterPhoneNumber-needs =
    De telefoon met het te vertrouwen nummer, aan en in staat sms'jes te ontvangen
    De mobiele app van het voertuig, ingelogd op uw account
page-step-deviceActivation-needs =
    De te activeren telefoon, met het vertrouwde nummer dat sms'jes kan ontvangen
    Uw pincode als u die al heeft, anders een nieuwe die u onthoudt
    Een werkende dataverbinding op de telefoon
page-step-mediumCarKey-needs =
    De telefoon, al via Bluetooth gekoppeld aan het voertuig
    De sleutels van het voertuig, terwijl u in het voertuig zit
    Locatie en Bluetooth allebei aan in de instellingen van de telefoon

gw-title-tls = Beveiligde verbinding mislukt
gw-title-live = Livestream verstoord
gw-title-live-contradicted = Livestream spreekt de lijsten tegen
gw-title-live-left-out = Livestream laat lijsten weg
gw-title-live-refused = Livestream geweigerd
gw-title-live-not-offered = Livestream niet meer aangeboden
gw-title-live-page = Live-stroom beantwoord door een webpagina
gw-title-live-compressed = Live-stroom gecomprimeerd
gw-title-token-dropped = Token onderweg kwijt

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(via de proxy { $proxy })
tls-unknown-issuer = de gateway op { $base }{ $via } toonde een certificaat van een onbekende uitgever (een eigen certificeringsinstantie, of een proxy die TLS inspecteert). Vertrouw die instantie met --ca-file BESTAND (haar certificaat, PEM), of STEPWISE_CA_FILE; is er al een opgegeven, dan is dat niet de instantie die dit certificaat ondertekende (een servercertificaat in plaats van de instantie, of een sindsdien opnieuw gemaakte instantie): neem het huidige certificaat van de instantie van de gateway. Of de gateway stuurt de tussenliggende instantie niet die zijn certificaat aan die instantie koppelt (stepwise doctor zegt het)
tls-expired = het certificaat van de gateway op { $base } is verlopen. Controleer de datum van deze computer; klopt die, laat het de beheerder van de gateway weten
tls-not-yet-valid = het certificaat van de gateway op { $base } is nog niet geldig. Controleer datum en tijd van deze computer; kloppen die, laat het de beheerder van de gateway weten
tls-wrong-host = het certificaat van de gateway op { $base } is niet gemaakt voor { $host }. Gebruik in --api de hostnaam of het adres waarvoor het certificaat is gemaakt
tls-wrong-host-names = het certificaat van de gateway op { $base } is gemaakt voor { $names }, niet voor { $host }. Gebruik daarvan een in --api, of laat het certificaat van de gateway voor { $host } maken
tls-no-host-names = het certificaat van de gateway op { $base } noemt geen host (geen subject alternative name; alleen een common name leest TLS niet meer). Geen --api lost dit op: laat het certificaat opnieuw uitgeven met de hostnaam als subject alternative name
tls-old-version = het certificaat van de gateway op { $base } is een X.509-certificaat versie 1, dat TLS niet meer aanneemt. Geen --api, --ca-file of clientcertificaat kan dit verhelpen: laat het certificaat opnieuw uitgeven als versie 3, met de hostnaam als alternatieve onderwerpnaam
tls-certificate-required = de gateway op { $base } vraagt een clientcertificaat. Geef er een met --client-cert BESTAND --client-key BESTAND
tls-client-refused = de gateway op { $base } weigerde het clientcertificaat ({ $alert }). Gebruik een certificaat van de autoriteit die de gateway vertrouwt; `stepwise doctor` controleert ook de geldigheidsdata
tls-client-expired = de gateway op { $base } meldt dat het clientcertificaat verlopen is. Vraag een nieuw aan bij wie het uitgaf (--client-cert, --client-key) en controleer de datum van deze computer
tls-client-unsupported = de gateway op { $base } weigerde het clientcertificaat als niet ondersteund: meestal is het niet voor een client gemaakt (het certificaat van een server, waarvan het sleutelgebruik geen clientauthenticatie bevat). Gebruik een certificaat dat voor clientauthenticatie is uitgegeven (--client-cert, --client-key)
tls-authority-as-server = de gateway op { $base } toont het certificaat van een autoriteit (CA:TRUE) als eigen servercertificaat, wat TLS niet aanvaardt. Vraag de beheerder van de gateway een servercertificaat te gebruiken dat door die autoriteit is ondertekend; het certificaat van de autoriteit hoort bij --ca-file
tls-handshake-refused = de gateway op { $base }{ $via } weigerde de TLS-handshake ({ $alert }). Controleer --api; klopt het, laat het de beheerder van de gateway weten
tls-not-tls = de server op { $base }{ $via } spreekt geen TLS. Controleer de poort, of gebruik http:// als de gateway geen TLS heeft
tls-not-tls-proxy = via de proxy { $proxy } kwam voor { $base } geen TLS terug: de proxy, of een filter erachter, antwoordde in plaats van de gateway (een blokkeerpagina, een inspectie). Vraag wie de proxy beheert of hij TLS naar deze host doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
tls-other = de TLS-verbinding met de gateway op { $base }{ $via } mislukte: { $what }. Controleer --api, --ca-file en het clientcertificaat

## Step guidance

step-trusterPhoneNumber-title = Vertrouwd telefoonnummer
step-trusterPhoneNumber-purpose = Registreert het telefoonnummer dat het account vertrouwt voor beveiligingscodes. Moet gebeuren vóór de activering van het apparaat.
step-trusterPhoneNumber-needs =
    De telefoon met het te vertrouwen nummer, aan en in staat sms'jes te ontvangen
    De voertuig mobiele app, ingelogd op het account van de klant
step-trusterPhoneNumber-does =
    In de app het te vertrouwen telefoonnummer invullen of bevestigen.
    Wachten op de sms met een code op dat nummer (kan een minuut duren).
    De sms-code in het codeveld van de app typen en bevestigen.
    Wordt de code geweigerd of is hij te oud, in de app een nieuwe vragen en opnieuw proberen.

step-deviceActivation-title = Apparaatactivering
step-deviceActivation-purpose = Registreert deze telefoon voor sterke authenticatie: de telefoon is wat de klant heeft, de pincode wat hij weet.
step-deviceActivation-needs =
    De te activeren telefoon, met het vertrouwde nummer dat sms'jes kan ontvangen
    De pincode van de klant als die er al is, anders een nieuwe die hij onthoudt
    Een werkende dataverbinding op de telefoon
step-deviceActivation-does =
    De activering van het apparaat starten in de app en wachten op de sms op het vertrouwde nummer.
    De sms-code invullen als de app erom vraagt (in het codeveld, niet in het pinveld).
    De bestaande pincode invullen, of een nieuwe maken als de app daarom vraagt.
    Is het account geblokkeerd (te veel apparaten of sms-activeringen), ongebruikte gelinkte apparaten verwijderen en opnieuw beginnen.
    Is de pin geblokkeerd na te veel foute pogingen, hem in de app resetten en dan opnieuw activeren.

step-mediumCarKey-title = CarKey-controle
step-mediumCarKey-purpose = Bewijst dat de klant echt de sleutels van het voertuig heeft. Hoeft maar één keer.
step-mediumCarKey-needs =
    De telefoon, al via Bluetooth gekoppeld aan het voertuig
    De sleutels van het voertuig, met de klant in het voertuig
    Locatie en Bluetooth allebei aan in de instellingen van de telefoon
step-mediumCarKey-does =
    Met de sleutels en de telefoon in het voertuig gaan zitten.
    Controleren dat Locatie en Bluetooth aan staan en de telefoon het voertuig als gekoppeld toont.
    De CarKey-controle starten in de app en de aanwijzingen over de sleutel volgen.
    In het voertuig blijven tot de app meldt dat de controle gelukt is.

step-generic-purpose = stepwise kent deze stap niet en heeft er geen ingebouwde uitleg voor.
step-generic-needs =
    De telefoon van de klant met de app open en ingelogd
    Alles wat de app op het scherm vraagt (codes, pin, sleutels, toegang tot het voertuig)
step-generic-does =
    De klant vragen de app te openen en de aanwijzingen voor deze stap te volgen.
    De naam van de stap en elke getoonde foutcode noteren.
    De stap opzoeken in de documentatie van de fabrikant of de hulppagina's van de dealer.
    De stappenlijst hier verversen zodra de klant klaar is.

## App error codes

code-2000-meaning = Algemene fout
code-2000-remedy = De klant opnieuw laten proberen; blijft het mislukken, de code noteren en melden.
code-2201-meaning = Het verzoek duurde te lang (time-out)
code-2201-remedy = Opnieuw proberen en controleren of de telefoon goed mobiel bereik of wifi heeft.
code-2202-meaning = Geen internetverbinding
code-2202-remedy = Mobiele data of wifi van de telefoon controleren en opnieuw proberen.
code-2204-meaning = Serverfout
code-2204-remedy = Even wachten en later opnieuw proberen; melden als het blijft gebeuren.
code-2301-meaning = Gewone authenticatie nodig
code-2301-remedy = De klant logt uit de app uit en opnieuw in, en probeert het dan nog eens.
code-2302-meaning = Sterke authenticatie nodig
code-2302-remedy = De klant bevestigt met zijn pincode (OTP met pin) in de app en probeert opnieuw.
code-2305-meaning = De sms-code is ongeldig
code-2305-remedy = Een nieuwe code laten sturen door de app en die zorgvuldig in het codeveld typen.
code-2306-meaning = De sms-code is verlopen
code-2306-remedy = Een nieuwe code laten sturen door de app en die meteen invullen.
code-2307-meaning = Het account heeft geen telefoonnummer
code-2307-remedy = Eerst een vertrouwd telefoonnummer registreren (stap trusterPhoneNumber).
code-2308-meaning = De authenticatiedienst weigerde de toegang
code-2308-remedy = De getypte sms-code en pincode controleren, elk in het juiste veld, en opnieuw proberen.
code-2310-meaning = Het account is geblokkeerd
code-2310-remedy = De gelinkte apparaten van het account verwijderen (minstens de ongebruikte) en deze telefoon opnieuw registreren.
code-2311-meaning = De authenticatiestatus klopt niet
code-2311-remedy = De stappencache resetten (toets R in de wizard, of `stepwise steps --car ID --reset`) en het apparaat opnieuw registreren.
code-2312-meaning = Het apparaat is uitgeschakeld of onbekend
code-2312-remedy = De stappencache resetten (toets R in de wizard, of `stepwise steps --car ID --reset`) en het apparaat opnieuw activeren.
code-2317-meaning = Bewerking met de pincode niet toegestaan (apparaat geactiveerd, geblokkeerd of te upgraden)
code-2317-remedy = De stappencache resetten (toets R in de wizard, of `stepwise steps --car ID --reset`) en het apparaat opnieuw activeren. Blijft het, dan is het account geblokkeerd: alle gelinkte apparaten verwijderen en opnieuw beginnen.
code-2323-meaning = De gebruiker is niet de eigenaar van dit voertuig
code-2323-remedy = Controleren dat het voertuig aan het account van de klant toegevoegd is en de carAssociationID klopt.
code-2341-meaning = CarKey: Locatie of Bluetooth staat uit
code-2341-remedy = Locatie en Bluetooth aanzetten op de telefoon en de CarKey-controle herhalen.
code-2342-meaning = CarKey: de telefoon is niet gekoppeld aan het voertuig
code-2342-remedy = De telefoon via Bluetooth koppelen aan het voertuig en de CarKey-controle herhalen.
code-2346-meaning = Er is geen stap voor deze stepsID
code-2346-remedy = Opnieuw beginnen met de carAssociationID voor een verse stappenlijst.
code-2354-meaning = CarKey: de sleutelpositie is ongeldig
code-2354-remedy = De klant gaat met de sleutels in het voertuig zitten en herhaalt de CarKey-controle.
code-2355-meaning = CarKey: ongeldige handtekening
code-2355-remedy = De CarKey-controle herhalen vanuit het voertuig met de sleutels; melden als het blijft mislukken.
code-2356-meaning = CarKey: ongeldige tijdstempel
code-2356-remedy = Controleren dat datum en tijd van de telefoon automatisch worden ingesteld en de CarKey-controle herhalen.
code-2390-meaning = Het telefoonnummer is al geregistreerd
code-2390-remedy = Niets te herstellen: verder met dat nummer als vertrouwd nummer.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Account geblokkeerd: limiet bereikt van aantal gelinkte apparaten / sms'jes
client-maxnbtools-remedy = Ongebruikte telefoons en gelinkte apparaten verwijderen in de voertuig mobiele app (Stellantis-account resetten) en opnieuw activeren. Blijft het, dan kan alleen de support van de fabrikant het account resetten; dat kan dagen duren.
client-forbidden-meaning = De OTP-registratie werd geweigerd (zelfde familie als MAXNBTOOLS)
client-forbidden-remedy = De activering van het apparaat van voren af aan opnieuw doen. Wordt ze weer geweigerd, aanpakken als MAXNBTOOLS: ongebruikte apparaten verwijderen en het account resetten.
client-access-meaning = Ongeldige sms-code of pincode
client-access-remedy = Opnieuw invullen: de sms-code in het codeveld, de pincode van de app in het pinveld.
client-blocked-meaning = Te veel foute pincodes: de pincode is geblokkeerd
client-blocked-remedy = De pincode resetten in de voertuig mobiele app en het apparaat opnieuw activeren.
client-code-meaning = Waarschijnlijk een foute pincode van de app (niet zeker)
client-code-remedy = Opnieuw proberen met de juiste pincode van de app.
client-sn-meaning = De sms-code werd niet aanvaard (niet zeker; gezien als iets anders getypt of automatisch ingevuld was)
client-sn-remedy = Een nieuwe sms vragen en de code met de hand typen.
client-need-authorization-meaning = Het inloggen op het merkaccount vraagt een nieuwe autorisatie
client-need-authorization-remedy = Wachten en later opnieuw proberen (vaak de volgende dag); opnieuw inloggen in de voertuig mobiele app.
client-authentication-failed-meaning = E-mail, wachtwoord of land van het merkaccount klopt niet
client-authentication-failed-remedy = E-mail, wachtwoord of land verbeteren en opnieuw inloggen.
client-invalid-grant-meaning = Het inlogtoken is verlopen of ingetrokken
client-invalid-grant-remedy = Opnieuw inloggen.
client-40400-meaning = Geen status van de auto gevonden voor dit voertuig
client-40400-remedy = Controleren dat het voertuig in het account van de klant staat; blijft het, het voertuig verwijderen en opnieuw toevoegen.
client-50000-meaning = De connectiviteitsmodule van het voertuig is vervangen (na een reparatie) en past niet meer bij de server
client-50000-remedy = Opnieuw inloggen; blijft het, dan moet de dealer de nieuwe module registreren.
client-50038-meaning = Tijdelijke fout bij de fabrikant
client-50038-remedy = Later opnieuw proberen.
client-no-matching-service-key-meaning = Deze opdracht hoort niet bij de afgenomen dienst
client-no-matching-service-key-remedy = Gebruiken wat het abonnement biedt (deuren, claxon en lichten vragen een hoger dienstniveau).
client-422-meaning = Opdracht van op afstand geweigerd: de privacymodus van het voertuig staat aan
client-422-remedy = De privacymodus in het voertuig uitzetten en opnieuw proberen.
client-901-meaning = Opdracht van op afstand geweigerd: het voertuig slaapt
client-901-remedy = Het voertuig wekken en opnieuw proberen.

## Limits that bite

limit-sms-activations = Ongeveer 20 sms-activeringen blokkeren het account (bij één gebruiker al rond 10): na twee mislukkingen de code uitleggen en stoppen.
limit-otp-codes = Opensource-clientapps (niet de klant) staan zichzelf 6 OTP-codes per 24 uur toe; de server dwingt die grens waarschijnlijk af.
limit-wake-ups = Die clientapps staan zichzelf 6 wekbeurten per 20 minuten toe.

## Signing in

banner-sign-in-text = De gateway weigerde het token (HTTP 401). Druk op i om hier in te loggen.
banner-sign-in-kept-fixed-text = De gateway weigerde het token dat `stepwise login --with-token` bewaarde (HTTP 401). Vraag wie de gateway beheert om het huidige token, bewaar het met `stepwise login --with-token` en begin opnieuw; of druk op i om hier aan te melden, als de gateway aanmelden aanbiedt (i zegt het als dat niet zo is).
banner-sign-in-given-text = De gateway weigerde het token uit { $from } (HTTP 401). Zet daar zijn huidige token neer en start opnieuw; of druk op i om hier aan te melden, als de gateway aanmelding biedt (anders zegt i het).
banner-simulated = Klant gesimuleerd
banner-simulated-text = De gesimuleerde klant heeft { $title } afgerond; de lijst wordt bij de gateway opgevraagd.
banner-simulate-demo-only = s speelt de klant alleen op de demo-backend
banner-simulate-demo-only-text = Hier handelt de klant op de telefoon. Bij `stepwise serve` rondt u een stap af met: curl -X POST { $url }
banner-simulate-demo-only-token-text = Hier handelt de klant op de telefoon. Bij `stepwise serve` wordt een stap voltooid met: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: het token dat deze assistent stuurt)
banner-simulate-demo-only-fixed-text = Hier handelt de klant op de telefoon. Bij `stepwise serve` wordt een stap voltooid met: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: het token van de gateway dat u bewaarde met `stepwise login --with-token`)
banner-simulate-demo-only-login-text = Hier handelt de klant op de telefoon. Bij `stepwise serve` wordt een stap voltooid met: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: een token dat de gateway aanneemt. Dat van deze assistent komt uit een aanmelding en wordt nooit getoond: start `stepwise serve --auth` ook met `--token T` en stuur T)
banner-sign-in-none-text = De gateway wil een token, en er is geen verstuurd (HTTP 401). Druk op i om hier in te loggen, als de gateway dat aanbiedt (anders zegt i het).
banner-sign-in-login-unreadable-text = De gateway wil een token, en er is geen verstuurd (HTTP 401): de door `stepwise login` bewaarde aanmeldingen konden niet gelezen worden: { $why }. Sluit af, los dat op en start opnieuw, of start met --token-file PAD.
banner-sign-in-again-text = { $why }: de login is voorbij. Druk op i om opnieuw in te loggen.
banner-signed-in = Ingelogd
banner-signed-in-watch-resumed = Het volgen, dat het geweigerde token had gestopt, gaat verder.
banner-signed-in-text = Het token wordt bewaard in { $place }; de stappen worden er opnieuw mee opgevraagd.
banner-signed-in-given = Deze sessie gebruikt het; de volgende neemt weer het token uit { $from }, dat voorgaat op de bewaarde aanmelding: start die zonder { $from }.
banner-sign-in-failed = Inloggen mislukt
report-sign-in-cancelled = geannuleerd voordat de goedkeuring kwam (Esc, of de wizard stopte): er is geen token bewaard
banner-sign-in-no-help = Geen aanmelding gestart
banner-sign-in-no-help-text = een nieuwe aanmelding met deze instellingen kreeg hetzelfde antwoord. { $why }
banner-sign-in-failed-text = { $why }. Druk op i om het opnieuw te proberen.
banner-sign-in-failed-fix-text = { $why }. Opnieuw op i drukken mislukt op dezelfde manier tot dat is veranderd.
banner-sign-in-settings-text = { $why }. Een draaiende wizard leest zijn aanmeldinstellingen bij het starten, en neemt geen --client-id of --scope: wijzig ze in het configuratiebestand (`client_id`, `scopes`), sluit dan af (q) en start opnieuw.
banner-sign-in-wait-text = De identiteitsprovider geeft op dit moment geen code ({ $said }) en vraagt { $wait } te wachten. Druk na die wachttijd op i.
banner-sign-in-expired-text = De code is verlopen voordat hij werd goedgekeurd. Druk op i voor een nieuwe code, en keur hem eerder goed.
banner-sign-in-denied-text = De aanmelding werd geweigerd (access_denied) voor de scopes { $scopes }. Werd ze in de browser geweigerd, druk dan op i om opnieuw aan te melden. Zo niet, dan wil de provider andere scopes: vraag de beheerder welke, sluit dan af, zet ze als `scopes` in het configuratiebestand en start opnieuw.
banner-sign-in-stopped-text = De identiteitsprovider heeft de aanmelding gestopt ({ $said }). Druk op i om een nieuwe te beginnen.
banner-sign-in-not-offered-text = De gateway op { $gateway } biedt geen inloggen aan: hij neemt een vast token. Sluit af, bewaar het token met `stepwise login --with-token` (of geef het met --token-file BESTAND of STEPWISE_TOKEN) en start opnieuw: een lopende wizard leest een intussen bewaard token niet.
banner-sign-in-not-needed-text = De gateway op { $gateway } biedt geen inloggen aan, en hij antwoordde zonder token: hij heeft er hier geen nodig, er is dus niets om bij in te loggen.
banner-sign-in-discovery-refused-text = De gateway op { $gateway } weigerde het verzoek om zijn aanmeldmetadata (HTTP 403): hij publiceert er geen voor deze client, of een firewall ervoor blokkeert dat pad. Vraag wie de gateway beheert om een token; sluit dan af, bewaar het met `stepwise login --with-token` (of geef het met --token-file BESTAND of STEPWISE_TOKEN) en start opnieuw.
banner-sign-in-not-offered-given-text = De gateway op { $gateway } biedt geen aanmelding: hij neemt een vast token en weigerde dat uit { $from }. Sluit af, zet daar zijn huidige token neer en start opnieuw (een met `stepwise login --with-token` bewaard token wordt niet gebruikt zolang er een uit { $from } komt).
help-section-sign-in = Inloggen
key-short-sign-in = inloggen
key-help-sign-in = inloggen bij de gateway (na een geweigerd token) zonder dit voertuig te verlaten
key-help-open-sign-in-page = het inlogadres in een browser openen
key-help-cancel-sign-in = stoppen met inloggen (er wordt niets bewaard)
gw-title-sign-in-again = Opnieuw inloggen
gw-title-client-refused = Client-id geweigerd
gw-title-tokens-not-taken = Tokens niet geaccepteerd
gw-title-sign-in-failed = Inloggen mislukt
gw-title-renewal-failed = Token vernieuwen mislukt
auth-denied = het inloggen werd geweigerd (access_denied) voor de scopes { $scopes }. Weigerde niemand het in de browser, dan wil de provider andere scopes: vraag de beheerder welke, stel ze in met --scope of `scopes` in het configuratiebestand en voer `stepwise login` opnieuw uit
auth-denied-said = de aanmelding werd geweigerd (access_denied) voor de scopes { $scopes }, en de identiteitsprovider zegt waarom: { $said }. Noemt dat het account (een groep, een rol), vraag dan de beheerder van de provider het te laten aanmelden bij stepwise; noemt het scopes, zet ze met --scope of `scopes` in het configuratiebestand, en voer `stepwise login` opnieuw uit
auth-expired = de code verliep voordat hij werd goedgekeurd. Voer `stepwise login` opnieuw uit en keur hem eerder goed
auth-sign-in-again = { $why }. Voer `stepwise login` uit om opnieuw in te loggen
auth-client-refused-then = { $why }; log daarna daarmee in: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; log daarna daarmee in: `stepwise login --audience URI`
auth-unreachable = de identiteitsprovider op { $url } is niet bereikbaar: { $detail }. Controleer het netwerk en probeer het dan opnieuw; blijft het zo, controleer dan het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway (zijn aanmeldmetadata noemen deze provider)
auth-proxy-407 = de proxy { $proxy } (uit { $from }) beantwoordde de aanmeldaanroep naar { $url } zelf met 407: de identiteitsprovider is niet gevraagd. De proxy wil een gebruikersnaam en wachtwoord: zet ze in de proxyvariabele (http://gebruiker:wachtwoord@proxy:poort), of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-407-refused = de proxy { $proxy } (uit { $from }) weigerde de gebruikersnaam en het wachtwoord uit zijn variabele voor de aanmeldaanroep naar { $url } (407): de identiteitsprovider is niet gevraagd. Controleer gebruikersnaam en wachtwoord in de proxyvariabele, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-401-basic = de proxy { $proxy } (uit { $from }) beantwoordde de aanmeldaanroep naar { $url } zelf met HTTP 401 en een login (Basic): de identiteitsprovider is niet gevraagd. Een proxy die zo vraagt (tinyproxy doet dat) neemt een gebruikersnaam en wachtwoord uit de proxyvariabele (http://gebruiker:wachtwoord@proxy:poort); of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-401-basic-refused = de proxy { $proxy } (uit { $from }) beantwoordde de aanmeldaanroep naar { $url } zelf met HTTP 401 en een login (Basic), hoewel de proxyvariabele een gebruikersnaam en wachtwoord bevat: hij weigerde ze, en de identiteitsprovider is niet gevraagd. Controleer ze in de proxyvariabele (tekens als @ of : procent-gecodeerd), of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-windows = de proxy { $proxy } (uit { $from }) beantwoordde de aanmeldaanroep naar { $url } zelf met 407 en vraagt om Windows-aanmelding (Negotiate of NTLM), die stepwise niet kan geven: de identiteitsprovider is niet gevraagd, en geen gebruikersnaam en wachtwoord in de proxyvariabele beantwoordt die. Vraag wie de proxy beheert { $host } zonder die door te laten, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-answered = de aanmeldaanroep naar { $url } ging via de proxy { $proxy } (uit { $from }) en kwam terug met HTTP { $status }{ $said } zonder antwoord van de identiteitsprovider: de proxy, of iets vóór de provider, antwoordde zelf. Vraag wie de proxy beheert of hij { $host } doorlaat, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is (een provider op deze machine altijd)
auth-proxy-429 = de aanmeldaanroep naar { $url } ging via de proxy { $proxy } (uit { $from }), die zelf HTTP 429{ $said } antwoordde: de proxy beperkt de verzoeken. Wacht een minuut en probeer het opnieuw; blijft het zo, vraag het de beheerder van de proxy, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-429-wait = de aanmeldaanroep naar { $url } ging via de proxy { $proxy } (uit { $from }), die zelf HTTP 429{ $said } antwoordde: de proxy beperkt verzoeken en vraagt { $secs } s te wachten. Probeer het daarna opnieuw; blijft het zo, vraag het wie de proxy beheert, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-5xx = de aanmeldaanroep naar { $url } ging via de proxy { $proxy } (uit { $from }), die zelf HTTP { $status }{ $said } antwoordde: hij liet de aanroep door en kreeg geen antwoord van { $host } (uitgevallen, of buiten bereik van de proxy). Probeer het later opnieuw; houdt het aan, vraag het wie { $host } of de proxy beheert, of zet NO_PROXY={ $host } als { $host } zonder proxy bereikbaar is
auth-proxy-5xx-loopback = de aanmeldaanroep naar { $url } ging via de proxy { $proxy } (uit { $from }), die zelf HTTP { $status }{ $said } antwoordde: de identiteitsprovider { $host } staat op deze machine, die een proxy elders niet bereikt, dus opnieuw proberen geeft hetzelfde. Zet NO_PROXY={ $host } (een provider op deze machine is altijd zonder de proxy bereikbaar)
auth-proxy-closed = de proxy { $proxy } (uit { $from }) sloot de aanmeldaanroep naar { $url } zonder antwoord: het is niet bekend of de identiteitsprovider is gevraagd. Probeer opnieuw; houdt het aan, vraag het wie de proxy beheert, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-unreachable = kan geen verbinding maken met de proxy { $proxy } (uit { $from }) voor de aanmeldaanroep naar { $url }: op het adres van de proxy antwoordt niets, dus er is niets gevraagd. Controleer de proxyvariabele (host en poort), of zet NO_PROXY={ $host } als het adres zonder de proxy bereikbaar is
auth-proxy-silent = geen antwoord op tijd op de aanmeldaanroep naar { $url } via de proxy { $proxy } (uit { $from }): de proxy, of de identiteitsprovider erachter, zwijgt. Probeer het later opnieuw; houdt het aan, vraag het wie de proxy beheert, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-garbled = wat via de proxy { $proxy } (uit { $from }) terugkwam voor de aanmeldaanroep naar { $url } is geen geldig HTTP: de proxy is stuk, of zijn variabele noemt iets dat geen HTTP-proxy is. Controleer de proxyvariabele, vraag het wie de proxy beheert, of zet NO_PROXY={ $host } als de provider zonder de proxy bereikbaar is
auth-proxy-tunnel = de proxy { $proxy } (uit { $from }) opende geen tunnel (CONNECT) naar { $host } voor de aanmeldaanroep naar { $url }: daar is niets gevraagd. Vraag wie de proxy beheert of hij { $host } doorlaat, of zet NO_PROXY={ $host } als het zonder de proxy bereikbaar is
auth-fronted = de aanmeldaanroep naar { $url } werd geweigerd met HTTP { $status }{ $said } en een pagina, niet met het antwoord van de identiteitsprovider (zijn fouten zijn JSON): iets vóór de provider (een firewall, een web application firewall, of een reverse proxy of zijn aanmelding) weigerde hem. Opnieuw proberen of opnieuw inloggen geeft hetzelfde: vraag wie het netwerk of de identiteitsprovider beheert of hij deze aanroep doorlaat
auth-no-endpoint = de aanmeldaanroep naar { $url } kreeg HTTP { $status } zonder OAuth-fout: daar antwoordt geen endpoint (een API-gateway vóór de identiteitsprovider antwoordt zo voor een route die hij niet heeft, of de provider heeft het verplaatst). Laat het weten aan wie de identiteitsprovider of de gateway beheert; opnieuw proberen geeft hetzelfde, en opnieuw inloggen helpt alleen als de metadata van de provider nu een ander adres noemen
auth-fronted-gone = de aanmeldaanroep naar { $url } kreeg HTTP { $status }{ $said } en een pagina, niet het antwoord van de identiteitsprovider (zijn fouten zijn JSON): niets bedient dat adres, of iets vóór de provider antwoordt ervoor. De metadata van de identiteitsprovider noemen het nog steeds, dus opnieuw proberen of opnieuw inloggen geeft hetzelfde: laat het weten aan wie de identiteitsprovider of de gateway beheert
auth-fronted-page = de aanmeldaanroep naar { $url } kreeg HTTP { $status }{ $said } en een webpagina, niet de JSON van de identiteitsprovider: iets vóór de provider (een portaal, een reverse proxy of zijn aanmeldpagina) antwoordde in zijn plaats. Vraag wie het netwerk of de identiteitsprovider beheert of hij deze aanroep doorlaat
auth-no-answer = de identiteitsprovider op { $url } nam de verbinding aan maar antwoordde niet op tijd: hij is druk of hangt. Probeer het later opnieuw; blijft het, meld het aan wie hem beheert
auth-not-tls = de identiteitsprovider op { $url } spreekt geen TLS: controleer de poort in het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand), of gebruik daar http:// als de provider geen TLS heeft
auth-tls-unknown-issuer = de identiteitsprovider op { $url } toonde een certificaat van een onbekende uitgever (een eigen instantie, of een proxy die TLS inspecteert). Vertrouw zijn instantie met --ca-file BESTAND (haar certificaat, PEM), te krijgen van wie de provider beheert; is --issuer (of `issuer` in het configuratiebestand) fout, verbeter het dan
auth-tls-wrong-host = het certificaat van de identiteitsprovider op { $url } is niet gemaakt voor zijn host. Controleer --issuer (of `issuer` in het configuratiebestand); klopt het, meld het dan aan wie de provider beheert
auth-tls-dates = het certificaat van de identiteitsprovider op { $url } is verlopen of nog niet geldig. Controleer de datum en tijd van deze machine; kloppen die, meld het dan aan wie de provider beheert
auth-tls-other = de TLS-verbinding met de identiteitsprovider op { $url } mislukte ({ $code }). Controleer --issuer (of `issuer` in het configuratiebestand); klopt het, meld het dan aan wie de provider beheert
auth-tls-old-version = de identiteitsprovider op { $url } toonde een X.509-certificaat versie 1, dat TLS niet meer aanneemt. Geen --issuer of --ca-file kan dit verhelpen: vraag wie de provider beheert het opnieuw uit te geven als versie 3, met zijn hostnaam als alternatieve onderwerpnaam
auth-tls-no-host-names = het certificaat van de identiteitsprovider op { $url } noemt geen host (geen alternatieve onderwerpnaam; een common name alleen wordt door TLS niet meer gelezen). Geen --issuer of --ca-file kan dit verhelpen: vraag wie de provider beheert het opnieuw uit te geven met zijn hostnaam als alternatieve onderwerpnaam
auth-answered-badly = het adres van de identiteitsprovider { $url } werd bereikt, maar { $detail }. Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
auth-closed = het adres van de identiteitsprovider { $url } nam de aanroep aan en sloot de verbinding zonder antwoord: de provider start misschien opnieuw of is overbelast, of iets ertussen verbrak hem. Probeer het opnieuw; blijft het zo, controleer dan het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als dat gegeven is, anders laat het weten aan wie de gateway beheert
login-title = Inloggen bij { $gateway }
login-open = Open { $address } en voer deze code in:
login-scan = Of scan deze QR-code met een telefoon:
login-qr-no-room = (Een groter venster toont een QR-code van het adres.)
login-press-enter = Druk op Enter om het adres in de browser te openen.
login-waiting = Wachten op goedkeuring (de code verloopt over { $left }; Ctrl-C annuleert)…
err-login-output-closed = de aanmeldcode kon niet worden getoond: de standaarduitvoer is gesloten of wordt weggegooid (een pipe die niet meer leest, zoals `| head -1`, een gesloten descriptor of /dev/null), dus niemand kan hem goedkeuren. Er is niets bewaard; voer `stepwise login` opnieuw uit met de uitvoer op een terminal of in een bestand
err-login-output-unwritable = de aanmeldcode kon niet worden getoond: de standaarduitvoer kon niet worden geschreven ({ $why }), dus niemand kan hem goedkeuren. Er is niets bewaard; voer `stepwise login` opnieuw uit met de uitvoer op een terminal of in een beschrijfbaar bestand
login-poll-limited = De identiteitsprovider vraagt te wachten (HTTP 429, te veel verzoeken): de goedkeuring wordt over { $secs } s opnieuw gecontroleerd. De code blijft intussen geldig.
login-browser-opened = Adres aan de browser doorgegeven (toont geen browser het, open dan zelf het adres hierboven).
login-browser-failed = Kan geen browser openen ({ $why }); open het adres met de hand.
login-signed-in = Ingelogd bij { $gateway }.
login-token-expired-kept = Let op: volgens de vervaldatum erin is dit token verlopen op { $time }; de gateway nam het nu aan, maar kan het elk moment weigeren. Vraag om zijn huidige token
login-token-untried-why = Token bewaard voor { $gateway }, maar niet geprobeerd: { $why }. Is dat adres fout, verbeter dan --api (of `api` in het configuratiebestand) en bewaar het token opnieuw; anders zegt de gateway bij de volgende aanroep of hij het aanneemt (`stepwise steps --car ID`).
login-token-untried-silent = Token bewaard voor { $gateway }, maar niet geprobeerd: de gateway nam de verbinding aan en antwoordde niet binnen { $secs } s (bezet of vastgelopen). Controleer of hij draait en antwoordt; de gateway zegt bij de volgende aanroep of hij het token aanneemt (`stepwise steps --car ID`).
login-token-untried-proxy = Token bewaard voor { $gateway }, maar niet geprobeerd: { $why }. Zodra de proxy het verzoek doorlaat (of NO_PROXY hem overslaat), zegt de gateway bij de volgende aanroep of hij het token aanneemt (`stepwise steps --car ID`).
login-token-unjudged = Token bewaard voor { $gateway }, maar het antwoord zegt niet of de gateway het aanneemt: { $why }. De gateway zegt het bij de volgende aanroep (`stepwise steps --car ID`).
err-login-not-a-gateway = Token niet bewaard: { $why }
err-signin-not-a-gateway = Niet aangemeld: dit adres publiceert geen aanmelding, en zijn stappenaanroep laat zien waarom: { $why }
login-token-taken = Token bewaard voor { $gateway }: de gateway heeft het aangenomen.
login-token-not-checked = Token bewaard voor { $gateway }, maar de gateway antwoordde ook zonder token: hij heeft er hier geen nodig, dus of hij dit token aanneemt is niet te zeggen. Het wordt toch met elke aanroep meegestuurd; `stepwise logout` vergeet het.
login-expires = Het token verloopt om { $time }; het wordt daarvoor vernieuwd.
login-kept = Het token wordt bewaard in { $place }.
login-environment-wins = Let op: STEPWISE_TOKEN is hier gezet, en zijn token gaat in elke opdracht voor deze login. Verwijder STEPWISE_TOKEN om de login te gebruiken.
login-file-notice = Let op: geen sleutelbos antwoordde op deze machine, dus het token wordt bewaard in een bestand dat alleen u kunt lezen (modus 0600). `stepwise logout` verwijdert het.
login-file-notice-windows = Let op: geen sleutelbos antwoordde op deze machine, dus het token wordt bewaard in een bestand in uw eigen map %LOCALAPPDATA%, dat Windows alleen u (en de beheerders van de pc) laat lezen. `stepwise logout` verwijdert het.
login-file-chosen = Let op: het token wordt in het bestand bewaard, niet in een sleutelbos, omdat STEPWISE_TOKEN_STORE=file daarom vraagt. `stepwise logout` verwijdert het.
login-keyring-too-small = Let op: het token is te lang voor { $name } (hoogstens { $max } bytes per item), dus wordt het in plaats daarvan bewaard in een bestand dat alleen u kunt lezen. `stepwise logout` verwijdert het.
login-paste = Plak het token voor { $gateway } en druk op Enter (het wordt niet getoond; Esc of Ctrl-C annuleert):
place-keyring = de sleutelbos ({ $name })
place-file = het bestand { $path }
logout-none = Er was geen login bewaard voor { $gateway }; niets te verwijderen.
logout-done = Uitgelogd bij { $gateway }: het token is verwijderd uit { $place }.
logout-still-given = Een token uit { $from } is nog steeds opgegeven en wordt nog steeds gebruikt.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = de bewaarde login
token-from-config = het configuratiebestand
status-gateway = Gateway:    { $gateway }
status-login-kept = Login:      bewaard in { $place }
status-login-file-private = (alleen door u leesbaar)
status-login-file-open = (leesbaar voor andere gebruikers van deze machine: modus { $mode }; voer `chmod 600 { $path }` uit)
status-login-none = Login:      geen bewaard (`stepwise login` logt in waar de gateway inloggen aanbiedt; `stepwise login --with-token` bewaart een vast token)
status-login-kept-unused = Login:      bewaard in { $place }, niet in gebruik: het token (bron: { $from }) gaat voor
duration-days = { $n } d
duration-hours = { $n } u
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Verloopt:   { $time } (over { $left })
status-expires-renewed = Verloopt:   { $time } (over { $left }; zojuist vernieuwd)
status-expired-refreshable = Verloopt:   verlopen om { $time }; bij het volgende gebruik wordt een nieuw token opgehaald
status-renewal-failed = Vernieuwen: zojuist geprobeerd, en mislukt: { $why }
status-expired = Verloopt:   verlopen om { $time }
status-expires-ended = Verloopt:   { $time } (niet meer bruikbaar: de identiteitsprovider heeft de aanmelding beëindigd)
status-expires-unknown = Verloopt:   onbekend (een met de hand opgegeven token)
status-expires-unknown-provider = Verloopt:   onbekend (de identiteitsprovider gaf geen bruikbare vervaldatum)
status-refresh-auto = Vernieuwen: automatisch, voordat het verloopt
status-refresh-ended = Vernieuwen: geen: de identiteitsprovider heeft de aanmelding zojuist beëindigd (de regel Vernieuwen hierboven zegt hoe). Voer `stepwise login` uit
status-refresh-failing = Vernieuwen: automatisch, maar de vernieuwing zojuist mislukte (de regel Vernieuwen hierboven zegt waarom); het volgende gebruik vraagt opnieuw
status-refresh-none = Vernieuwen: niet mogelijk; log opnieuw in wanneer het niet meer werkt
status-refresh-fixed = Vernieuwen: niet mogelijk (een met de hand gegeven token); als het niet meer werkt, bewaar het huidige token van de gateway met `stepwise login --with-token`
status-in-use-login = In gebruik: de bewaarde login
status-in-use-dropped = In gebruik: het token uit { $from }, maar het bereikte de gateway niet: { $why }
status-in-use-login-refused = In gebruik: de bewaarde login, maar de gateway weigerde zojuist zijn token (HTTP 401): de volgende aanroep vernieuwt het één keer; weigert de gateway dat ook, log dan opnieuw in met `stepwise login`
status-in-use-login-refused-fresh = In gebruik: de bewaarde aanmelding, maar de gateway weigerde zojuist het token ervan (HTTP 401), en ook het meteen vernieuwde: { $why }
status-in-use-login-refused-fixed = In gebruik: de bewaarde login, maar de gateway weigerde zojuist zijn token (HTTP 401): log in met `stepwise login` als de gateway aanmelden aanbiedt; vraag anders de beheerder om zijn huidige token, en bewaar dat met `stepwise login --with-token`
status-in-use-spent = In gebruik: niets bruikbaars: de bewaarde login is verlopen. Voer `stepwise login` uit
status-in-use-renewing = In gebruik: de bewaarde login, zodra de identiteitsprovider zijn token vernieuwt: de vernieuwing is voorlopig mislukt (de regel Vernieuwen zegt waarom); een nieuwe aanmelding zou dezelfde provider treffen
status-in-use-spent-fixed = In gebruik: niets bruikbaars: het met de hand bewaarde token (login --with-token) is verlopen. Bewaar het huidige token van de gateway met `stepwise login --with-token`
status-in-use-ended = In gebruik: niets bruikbaars: de identiteitsprovider heeft de bewaarde login beëindigd. Voer `stepwise login` uit
status-in-use-client = In gebruik: niets bruikbaars: de identiteitsprovider neemt de client-id van de bewaarde login niet aan. Meld u aan met de id die hij kent: `stepwise login --client-id ID`
status-in-use-other = In gebruik: een token uit { $from } (gaat voor een bewaarde login)
status-in-use-not-tried = niet geprobeerd: de gateway kon niet gevraagd worden of hij het aanneemt: { $why }
status-in-use-other-expired = In gebruik: een token uit { $from } (het gaat voor een bewaarde aanmelding), maar het is verlopen op { $time }, volgens de vervaldatum erin: zet daar een actueel token, of haal het weg om een bewaarde aanmelding te gebruiken
status-in-use-other-refused = In gebruik: een token uit { $from } (het gaat voor een bewaarde aanmelding), maar de gateway weigerde het zojuist (HTTP { $status }): zet daar het actuele token van de gateway, of haal het weg om een bewaarde aanmelding te gebruiken
status-in-use-other-scope = In gebruik: een token uit { $from } (het gaat voor een bewaarde aanmelding), maar de gateway zegt dat het de scope { $scope } mist (HTTP { $status }): vraag wie de tokens van de gateway uitgeeft om een token met die scope
status-in-use-config = In gebruik: een token uit { $from } (een bewaarde aanmelding, via `stepwise login`, zou ervoor gaan)
status-in-use-config-refused = In gebruik: een token uit { $from } (een bewaarde aanmelding, via `stepwise login`, zou ervoor gaan), maar de gateway weigerde het zojuist (HTTP { $status }): zet daar het actuele token van de gateway, of bewaar er een met `stepwise login` (of `stepwise login --with-token`), dat ervoor gaat
status-in-use-config-expired = In gebruik: een token uit { $from } (een bewaarde aanmelding, via `stepwise login`, zou ervoor gaan), maar het is verlopen op { $time }, volgens de vervaldatum erin: zet daar een actueel token, of bewaar er een met `stepwise login` (of `stepwise login --with-token`), dat ervoor gaat
status-in-use-config-scope = In gebruik: een token uit { $from } (een bewaarde aanmelding, via `stepwise login`, zou ervoor gaan), maar de gateway zegt dat het de scope { $scope } mist (HTTP { $status }): vraag wie de tokens van de gateway uitgeeft om een token met die scope
signin-asking = Een inlogcode vragen: de gateway noemt zijn identiteitsprovider, die de code geeft…
signin-waiting = Wachten op goedkeuring (de code verloopt over { $left }). Esc annuleert; de voertuigsessie blijft.
signin-no-browser = Hier kan geen browser worden geopend (geen grafische sessie). Open op een telefoon of een andere computer het adres hierboven (of scan de QR-code ervan) en voer de code in.
signin-no-browser-no-qr = Hier kan geen browser worden geopend (geen grafische sessie). Open op een telefoon of een andere computer het adres hierboven en voer de code in.
signin-no-browser-local = Hier kan geen browser worden geopend (geen grafische sessie), en het adres hierboven bestaat alleen op deze machine (loopback), dus ook een ander apparaat kan het niet openen. Esc annuleert; bewaar daarna een token met `stepwise login --with-token`, of start de wizard op het eigen scherm van deze machine.
signin-browser-failed = De browser ging niet open ({ $why }). Open op een telefoon of een andere computer het adres hierboven (of scan de QR-code ervan) en voer de code in.
signin-browser-failed-no-qr = De browser ging niet open ({ $why }). Open op een telefoon of een andere computer het adres hierboven en voer de code in.
status-in-use-none = In gebruik: geen token. Voer `stepwise login` uit (`stepwise login --with-token` als de gateway geen aanmelding biedt), of geef er een op met --token-file of STEPWISE_TOKEN
status-in-use-none-fixed = In gebruik: geen token, en de gateway wil er een. Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Bewaar dat token met `stepwise login --with-token`, of geef het met --token-file of STEPWISE_TOKEN
status-in-use-none-needed = In gebruik: geen token, en er is er geen nodig: de gateway op { $gateway } antwoordde zonder. Voer `stepwise steps --car ID` zo uit
status-in-use-none-unasked = In gebruik: geen token; of de gateway op { $gateway } er een wil, kon niet gevraagd worden: { $why }. Zodra hij antwoordt, zegt `stepwise auth status` of hij er een wil
status-unasked-no-client = de aanroep kon niet gedaan worden met de opgegeven netwerkinstellingen (stepwise steps zegt welke)
status-login-trouble = Login:      { $why }
status-in-use-trouble = In gebruik: geen token: de bewaarde login is niet leesbaar (zie de regel hierboven)

## Het overzicht: veel voertuigen tegelijk

board-title = { $count ->
    [one] overzicht van 1 voertuig
   *[other] overzicht van { $count } voertuigen
}
board-sorted-by = gesorteerd op { $key }
board-sort-next = volgende stap
board-sort-progress = voortgang
board-sort-freshness = actualiteit
board-sort-id = ID
board-live-on-short = live AAN
board-live-polling-short = live AAN · opvragen elke { $secs } s
board-live-off-short = live uit
board-summary-ready = { $n } klaar
board-summary-in-progress = { $n } bezig
board-summary-failing = { $n } met fout
board-summary-loading = { $n } nog zonder antwoord
limited-wait = HTTP 429: verzoeken wachten nog { $secs } s
board-filter = Filter:
board-fresh-never = nog niet
board-fresh-secs = { $n } s geleden
board-fresh-mins = { $n } min geleden
board-fresh-hours = { $n } u geleden
board-empty = Nog geen voertuig in het overzicht: druk op ‘a’ om er een toe te voegen.
board-none-match = Geen voertuig past bij het filter. Esc wist het.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = voortgang
board-col-progress-short = stand
board-col-next = volgende stap
board-col-fresh = gegevens
board-col-error = fout
board-rows-window = { $from }–{ $to } van { $total }
board-n-of-m = { $done } van { $total }
board-ready = klaar
board-loading = vraagt…
board-held = tegengehouden (HTTP 429)
board-retrying-was = nieuwe poging (eerder: { $was })
board-held-was = tegengehouden (eerder: { $was })
board-remove-ask = { $car } uit het overzicht halen? Druk op ‘j’ om het weg te halen, op ‘n’ om het te houden.
board-add-prompt = carAssociationID toevoegen:
board-add-duplicate = { $car } staat al in het overzicht.
board-removed = { $car } weggehaald
board-removed-text = De verzoeken ervan zijn gestopt; druk op ‘a’ om het weer toe te voegen.
board-shared-steps-id = Eén stepsID ({ $id }) voor { $count } voertuigen
board-shared-steps-id-text = { $cars } kregen lijsten onder dezelfde stepsID, die bij één voertuig hoort: een proxy of cache tussen hier en de gateway (een die de query negeert), of de gateway zelf, haalt antwoorden door elkaar, dus deze rijen en hun live-updates kunnen de lijst van een ander voertuig tonen. Vertrouw er niet op; meld het aan de beheerder van de gateway (en aan de netwerkbeheerder, waar een proxy is ingesteld).
board-turned-ready = { $count ->
    [one] { $cars } is klaar
   *[other] { $cars } zijn klaar
    }
board-turned-ready-text = Alle stappen zijn afgerond: de klant kan de dienst gebruiken.
board-turned-unready = { $count ->
    [one] { $cars } is niet meer klaar
   *[other] { $cars } zijn niet meer klaar
    }
board-live-on = { $count ->
    [one] Live: 1 voertuig
   *[other] Live: { $count } voertuigen
}
board-live-off = Live uit
board-live-off-text = Het overzicht ververst niet meer vanzelf; r ververst nu alles.
board-live-stopped = Live gestopt voor { $car }: { $what }
board-live-stopped-every = Live gestopt voor alle voertuigen: { $what }
board-live-stopped-text = { $why }. Het volgen herhaalt alleen dit antwoord; live gaat door voor de andere voertuigen. Druk na het oplossen twee keer op w (live uit, dan aan) om het weer te volgen.
board-live-stopped-unknown-text = { $why }. Het volgen herhaalt alleen dit antwoord; live gaat door voor de andere voertuigen.
board-row-id-fix = Het id van een rij is niet ter plekke te verbeteren: op het overzicht verwijdert d deze rij en voegt a het juiste id toe (vanuit het scherm van dit voertuig brengt Esc eerst terug naar het overzicht).
board-live-stopped-all-text = { $why }. Het volgen herhaalt alleen dit antwoord, en live is nu gestopt voor elk voertuig van het overzicht. Kreeg elk voertuig hetzelfde antwoord, dan is de gateway of iets ervoor de oorzaak, niet elke id. Druk na het oplossen op w om ze weer te volgen (live staat uit).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] Het voertuig mislukte
   *[other] Alle { $count } voertuigen mislukten op dezelfde manier
}: { $what }
board-stream-said = Livestream van { $count } voertuigen: { $what }
board-nothing-to-watch-text = Alle voertuigen zijn klaar.
help-section-board = Het overzicht
help-section-board-filter = Het filter van het overzicht
help-section-board-add = Een voertuig toevoegen
help-section-board-remove = Een voertuig weghalen
key-short-sort = sorteren
key-short-live = live aan/uit
key-short-add = toevoegen
key-short-remove = weghalen
key-short-keep = houden
key-help-board-move = een voertuig kiezen
key-help-board-open = de stappen van het gekozen voertuig openen (Esc gaat terug naar het overzicht)
key-help-board-filter = de rijen filteren op tekst (ID, volgende stap, fout)
key-help-board-sort = sorteren op volgende stap, voortgang, actualiteit of ID
key-help-board-refresh = alle voertuigen verversen
key-help-board-live = alle voertuigen live houden (vanzelf ververst), of stoppen
key-help-board-add = een voertuig toevoegen met zijn carAssociationID
key-help-board-remove = het gekozen voertuig weghalen (vraagt eerst)
key-help-board-clear = het filter wissen
key-help-board-sign-in = inloggen bij de gateway (na een geweigerd token): elk voertuig dat bij gebrek aan token geweigerd werd, vraagt dan opnieuw
key-help-filter-keep = het filter houden en terug naar de rijen
key-help-filter-clear = het filter wissen
key-help-type-filter = de te zoeken tekst typen
key-help-add-submit = het voertuig toevoegen en zijn stappen opvragen
key-help-remove-now = uit het overzicht halen

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Gebruik:
help-cli-options = Opties
help-cli-arguments = Argumenten
help-cli-commands = Commando's
help-cli-command-value = COMMANDO
help-cli-help = Hulp tonen
help-cli-help-short = Hulp tonen (meer met '--help')
help-cli-help-long = Hulp tonen (een samenvatting met '-h')
help-cli-version = Versie tonen
help-cli-help-command = Deze hulp of de hulp van de genoemde commando's tonen
help-cli-help-command-subcommand = De hulp van deze commando's tonen
help-cli-default = [standaard: { $value }]
help-cli-env = [omgeving: { $name }]
help-cli-values = [mogelijke waarden: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Leidt een technicus door de stappen om de diensten van een verbonden voertuig te activeren
help-cli-stepwise-long =
    Leidt een technicus door de stappen om de diensten van een verbonden voertuig te activeren.

    Zonder ingestelde gateway (--api, STEPWISE_API of het configuratiebestand) gebruiken de wizard en de commando's steps/next de ingebouwde simulator.
help-cli-stepwise-after = Exitcodes van steps/next: 0 geen teruggegeven stap staat open (todo), 3 een teruggegeven stap staat open, 1 fout, 2 verkeerd gebruik. Een commando weigert een globale optie die het niet gebruikt.
help-cli-stepwise-api = Basis-URL van de stappengateway, bijv. http://127.0.0.1:8080 (zonder gebruikersnaam of wachtwoord)
help-cli-stepwise-car = Te openen carAssociationID (letters a–z, A–Z, cijfers, - en _); herhaal het voor een overzicht van meerdere voertuigen (doctor neemt er één)
help-cli-stepwise-cars = Bestand met carAssociationIDs: één per regel (# begint commentaar), of een CSV met de id in de eerste kolom
help-cli-stepwise-concurrency = Gelijktijdige verzoeken aan de gateway, voor het hele overzicht of alle uit --cars
help-cli-stepwise-token-file = Bestand met het bearer-token van de gateway, alleen op één regel
help-cli-stepwise-report = Het sessierapport bij het afsluiten hierheen schrijven (.json geeft JSON, anders Markdown)
help-cli-stepwise-lang = Taal van de schermen, de begeleiding, de tekstuitvoer en deze meldingen: en, fr, de, it, es, nl, pt-BR of pt-PT (pt: pt-BR; anders STEPWISE_LANG, lang in het configuratiebestand, de systeemtaal, Engels)
help-cli-stepwise-ca-file = Ook de certificeringsinstanties in dit PEM-bestand vertrouwen (anders STEPWISE_CA_FILE, `ca_file` in het configuratiebestand, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Dit clientcertificaat aanbieden (PEM; mag ook de sleutel bevatten)
help-cli-stepwise-client-key = De privésleutel van het clientcertificaat (PEM)
# The commands and their options.
help-cli-demo = De wizard op de ingebouwde simulator
help-cli-demo-autoplay = De gesimuleerde klant doet om de paar seconden de volgende stap
help-cli-demo-fresh = De demo-backend opnieuw beginnen: zijn stepsIDs, caches en toestanden vergeten
help-cli-demo-board = Het overzicht openen met de voertuigen van de demo-backend (of die van --car/--cars)
help-cli-fleet = Het overzicht: veel voertuigen tegelijk, één regel per voertuig (opgeven met --car, herhaald, of --cars BESTAND)
help-cli-serve = De simulator van de stappengateway starten
help-cli-serve-addr = Adres om op te luisteren, HOST:POORT (een hostnaam wordt opgezocht)
help-cli-serve-scenario = Scenariobestand (JSON); anders het ingebouwde scenario
help-cli-serve-token = Dit bearer-token bij elk verzoek eisen. Elke gebruiker van deze machine kan het in `ps` lezen: gebruik liever --token-file of STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = N gegenereerde voertuigen toevoegen, F0001..., in wisselende toestanden
help-cli-serve-churn = Elke SECONDS seconden wordt de volgende stap van een willekeurig gegenereerd voertuig (F0001…) gedaan; de ingebouwde blijven over om met de hand te spelen
help-cli-serve-stream-events = Elke gebeurtenisstroom beëindigen na de eerste N gebeurtenissen (voor hulpmiddelen die een antwoord nodig hebben dat eindigt)
help-cli-serve-log = Eén regel per verzoek naar standaarduitvoer schrijven: tijd, methode, pad, status, duur
help-cli-serve-tls = HTTPS aanbieden met een bij de start gemaakt certificaat (voor localhost en 127.0.0.1)
help-cli-serve-tls-dir = De certificeringsinstantie (ca.pem), het certificaat en de sleutel daar schrijven (anders sim-tls in de gegevensmap)
help-cli-serve-client-ca = Clientcertificaten eisen die door deze certificeringsinstantie zijn ondertekend (PEM)
help-cli-serve-auth = Ook de identiteitsprovider zijn (`stepwise login`): geregistreerde clients, scopes, inloggen met apparaat en met autorisatiecode (PKCE), roterende vernieuwingstokens, intrekking; POST /sim/device/CODE/approve of /deny
help-cli-serve-token-ttl = Geldigheidsduur van de uitgegeven tokens, in seconden
help-cli-login = Inloggen op de gateway (--api) met een code die in een browser is goedgekeurd
help-cli-login-with-token = In plaats daarvan één token van standaardinvoer lezen: via een pipe, of geplakt bij een prompt die het niet toont (nooit uit een argument)
help-cli-logout = De aanmelding bij de identiteitsprovider intrekken als die dat aanbiedt, en het voor de gateway (--api) bewaarde token vergeten
help-cli-logout-forget = De aanmelding hier ook vergeten als de identiteitsprovider niet bereikbaar is om haar in te trekken
help-cli-auth = Het inloggen: wie, waar het token bewaard wordt, wanneer het verloopt
help-cli-auth-status = Noemt de gateway, waar het token bewaard wordt en wanneer het verloopt (nooit het token); exit 0 met een bruikbaar token of als de gateway zonder token antwoordt, anders 1
help-cli-auth-status-json = JSON tonen
help-cli-steps = De stappen als checklist (of JSON) tonen; exit 3 zolang een teruggegeven stap open staat
help-cli-steps-after =
    Met --status todo of alreadyDone worden alleen die stappen teruggegeven: de uitvoer zegt dan dat ze gefilterd is en meldt de dienst nooit als klaar, en exit 0 betekent alleen dat geen teruggegeven stap open staat.

    Met meerdere voertuigen (--car herhaald, of --cars BESTAND) krijgt elk een eigen blok, of met --json één JSON-object per regel (JSON Lines); exit 1 als een voertuig mislukte (stderr noemt elk), anders 3 als er een een open stap heeft, anders 0.
help-cli-steps-steps-id = Verversen met de stepsID in plaats van --car
help-cli-steps-status = Alleen stappen met deze status
help-cli-steps-reset = Eerst de stappencache wissen (verhelpt app-fouten 2312/2317)
help-cli-steps-json = JSON tonen in plaats van de checklist
help-cli-steps-deadline = Na in totaal zoveel seconden niet langer wachten (met meerdere voertuigen de voertuigen noemen die niet antwoordden)
help-cli-doctor = Alles tussen deze machine en een werkende wizard controleren; exit 1 als een controle mislukt
help-cli-doctor-json = JSON tonen
help-cli-completions = Shell-aanvullingen tonen (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = De shell waarvoor de aanvullingen geschreven worden
help-cli-man = De handleidingpagina (roff) tonen, bijv. `stepwise man > stepwise.1`
help-cli-next = De volgende open stap tonen; exit 3 zolang er een over is
help-cli-next-after = `order` is het antwoord van de gateway op de vraag naar de volgende stap, zoals verzonden: dat antwoord nummert de stap die het teruggeeft op zijn eigen manier (dat van de SDK geeft 1), dus het kan afwijken van de volgorde van dezelfde stap in `stepwise steps`.
help-cli-next-steps-id = De stepsID waarvan de volgende stap gevraagd wordt (`stepwise steps` toont hem)
help-cli-next-json = JSON tonen
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: fout: { $message }
cli-arg-login-trouble = stepwise: waarschuwing: er wordt geen token meegestuurd: { $why }
cli-arg-warning = stepwise: waarschuwing: { $what }
device-unkept = de apparaat-id kan niet bewaard worden in { $path } ({ $why }): elke run is een nieuw apparaat voor de gateway, die de stepsID's van eerdere runs weigert als die van een ander apparaat. Verhelp dat: verplaats wat in de weg staat, of laat deze gebruiker daar schrijven
cli-waiting-limited = stepwise: de gateway beperkt de verzoeken (HTTP 429): { $secs } s wachten zoals gevraagd, dan opnieuw proberen (Ctrl-C stopt)
cli-waiting-limited-past-deadline = stepwise: de gateway beperkt de verzoeken (HTTP 429) en vraagt { $secs } s te wachten, langer dan de { $left } s die van de termijn (--deadline) over zijn: de opdracht stopt bij de termijn. Geef een langere --deadline om het af te wachten, of probeer het later opnieuw
cli-arg-not-used = { $command } gebruikt { $option } niet: { $why }
cli-arg-why-demo-api = het draait altijd op de ingebouwde simulator. Voor een gateway `stepwise --api URL` starten
cli-arg-why-demo-token-file = de ingebouwde simulator heeft geen token nodig. Voor een gateway `stepwise --api URL --token-file PATH` starten
cli-arg-why-login-token-file = login bewaart een token dat het van standaardinvoer leest, nooit uit een bestand dat ermee wordt opgegeven: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout vergeet de login die voor de gateway bewaard is, en stuurt er geen token heen. Laat de optie weg
cli-arg-why-serve-api = het is zelf de gateway. Richt de clients in plaats daarvan op zijn --addr
cli-arg-why-concurrency = het is de gateway en vraagt zelf geen gateway; --concurrency is voor de clients die het vragen. Laat de optie weg
cli-arg-why-concurrency-next = het vraagt de volgende stap van één voertuig op, in één verzoek: niets loopt tegelijk. Laat de optie weg
cli-arg-why-serve-car = de simulator antwoordt voor elk voertuig van zijn scenario (kies er een met --scenario)
cli-arg-why-session-report = sessierapporten komen van de wizard. Laat de optie weg
cli-arg-why-serve-client-cert = die biedt een client aan. Gebruik serve --tls --client-ca BESTAND om clientcertificaten te eisen
cli-arg-why-doctor-report = het toont in plaats daarvan zijn rapport. Gebruik --json en stuur het door om het te bewaren
cli-arg-doctor-one-car = doctor controleert één voertuig: geef één --car (geen --cars); de voertuigen van een overzicht controleert u met `stepwise steps --cars BESTAND`
cli-arg-why-print-report = het toont in plaats daarvan zijn resultaat. Stuur het door om het te bewaren, bijv. `--json > steps.json`
cli-arg-why-sign-in-car = inloggen geldt per gateway, niet per voertuig. Laat de optie weg
cli-arg-why-next-car = het vraagt alleen met --steps-id. Haal een stepsID op met `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id vraagt om één lijst. Laat een van beide weg
cli-arg-serve-token-twice = serve neemt het te eisen token uit --token of --token-file, niet uit allebei
cli-arg-serve-token-empty = serve --token is leeg en zou dus geen token eisen. Geef het token, of laat --token weg voor een simulator die voor iedereen open staat
cli-arg-serve-churn = serve --churn heeft --fleet N nodig: het doet stappen van de gegenereerde voertuigen. Voeg bijv. --fleet 200 toe
cli-arg-seconds = geef een aantal seconden van 0.1 tot 86400, bijv. 2
cli-arg-empty = die is leeg: geef een waarde, of laat de optie weg voor de standaardwaarde
cli-arg-id = een id bestaat uit 1 tot { $max } letters a–z, A–Z, cijfers, '-' of '_'
cli-arg-addr-no-port = de poort ontbreekt; geef HOST:POORT, bijv. 127.0.0.1:8080, localhost:8080 of [::1]:8080
cli-arg-addr-no-host = { $port } heeft geen host; geef HOST:POORT, bijv. 127.0.0.1:{ $port } (of 0.0.0.0:{ $port } voor het netwerk van de werkplaats)
cli-arg-addr-port = de poort is geen getal van 0 tot 65535; geef HOST:POORT, bijv. 127.0.0.1:8080, localhost:8080 of [::1]:8080
cli-arg-addr-host = de host is geen adres en geen hostnaam; geef HOST:POORT, bijv. 127.0.0.1:8080, localhost:8080 of [::1]:8080
cli-arg-addr-scheme = het begint met een schema (http:// of https://), dat --addr niet aanneemt; geef alleen HOST:POORT, bijv. { $given }
cli-arg-addr-ip = het IP-adres { $host } is ongeldig: elk van de vier delen is een getal van 0 tot 255; geef HOST:POORT, bijv. 127.0.0.1:8080 of 192.168.1.20:8080
cli-arg-report-folder = --report { $path } is een map. Geef een bestandsnaam daarin, bijv. { $example }
cli-arg-report-slash = --report { $path } eindigt op een schuine streep, zoals het pad van een map, en zo'n map bestaat niet. Geef een bestandsnaam, bijv. session.md
cli-arg-report-not-a-file = --report { $path } is geen gewoon bestand (een apparaat, een pipe of een koppeling), en het rapport zou het vervangen. Geef het pad van een nieuw of gewoon bestand, bijv. sessie.md
cli-arg-report-is-cars = --report { $path } is het id-bestand van --cars: het rapport zou de lijst met voertuigen overschrijven. Geef het rapport een andere naam, bijv. sessie.md
cli-arg-report-is-token-file = --report { $path } is het tokenbestand dat met --token-file is gegeven: het rapport zou het token overschrijven. Geef het rapport een andere naam, bijvoorbeeld session.md
cli-arg-report-is-config = --report { $path } is het configuratiebestand dat deze run leest: het rapport zou de instellingen overschrijven. Geef het rapport een andere naam, bijvoorbeeld session.md
cli-arg-report-not-report = --report { $path } is al een bestand dat geen stepwise-rapport is: het rapport zou het vervangen. Geef het rapport een andere naam, bijv. sessie.md, of verplaats dat bestand eerst
cli-arg-report-in-data = --report { $path } staat in de eigen gegevensmap van stepwise ({ $dir }), waar het zijn aanmeldingen en apparaat-id bewaart: het rapport zou ze kunnen overschrijven. Geef het rapport een pad daarbuiten, bijvoorbeeld session.md
cli-arg-report-parent-file = --report { $path }: { $parent } is geen map. Kies een ander pad
cli-arg-report-no-folder = --report { $path }: de map { $parent } bestaat niet. Maak hem aan of kies een ander pad
cli-arg-report-unwritable = --report { $path } kan niet geschreven worden ({ $why }). Kies een pad waar u kunt schrijven
cli-arg-report-unwritable-kept = --report { $path } kan niet worden geschreven ({ $why }). Het sessierapport, notities inbegrepen, is in plaats daarvan naar { $kept } geschreven; controleer wat er op dat pad veranderde sinds de wizard begon
cli-arg-unknown-lang = onbekende taal { $given } in { $place }; stepwise spreekt { $codes }
cli-arg-unknown-lang-config = onbekende taal { $given } in lang van het configuratiebestand; stepwise spreekt { $codes }
cli-arg-man-failed = kan de handleidingpagina niet maken: { $error }
cli-arg-cars-unreadable = kan --cars { $path } niet lezen: { $error }. Controleer het pad (één id per regel, of een CSV)
cli-arg-cars-workbook = --cars { $path } is een Excel-werkmap, geen tekst: sla hem in Excel op met Opslaan als, "CSV UTF-8", en geef dat bestand
cli-arg-cars-not-text = --cars { $path } is geen tekstbestand (het bevat stuurtekens): geef een tekstbestand met één carAssociationID per regel, of een CSV
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = regel { $line } "{ $id }"
cars-bad-more = en nog { $n }
cars-bad = { $lines }: geen carAssociationID (1 tot { $max } letters a–z, A–Z, cijfers, '-' of '_'). Verbeter of verwijder { $count ->
    [one] die regel
   *[other] die regels
}
cars-excel-number = Een regel bevat een lang getal zoals Excel het schrijft (bijvoorbeeld 9,87654E+11): maak in Excel de kolom van het type Tekst, typ de ids opnieuw en sla opnieuw op.
cars-heading-no-ids = de eerste regel "{ $heading }" noemt geen kolom als carAssociationID, en geen kolom eronder bevat alleen ids (een VIN of een kenteken is geen carAssociationID). Geef de kolom met de ids de kop carAssociationID (of Voertuig-ID), of zet één id per regel
cars-heading-ambiguous = de eerste regel "{ $heading }" zegt niet welke kolom de carAssociationID bevat, en { $count } kolommen eronder zouden dat kunnen. Geef de kolom met de ids de kop carAssociationID (of Voertuig-ID), of zet één id per regel
cli-arg-cars-empty = --cars { $path } bevat geen carAssociationID. Zet één id per regel
cli-arg-fleet-needs-cars = fleet heeft voertuigen nodig: geef --car ID (herhaald) of --cars BESTAND, bijv. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps heeft --car ID, --cars BESTAND of --steps-id ID nodig
steps-reset-asked = De stappencache is gereset (resetSteps=true): de lijst hieronder is het antwoord van de gateway na de reset.
cli-wrong-device-hint = Dit apparaat krijgt zijn eigen stepsID met `stepwise steps --car ID`; geef die aan --steps-id.
cli-wrong-device-reset = De stappencache is niet gewist: wis hem in plaats daarvan via de carAssociationID, met `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Deze run kon zijn apparaat-id niet bewaren (zie de waarschuwing hierboven): elke run is dus een nieuw apparaat, en een stepsID werkt alleen in de run die hem kreeg. Herstel eerst de gegevensmap.
cli-arg-output-failed = kan de uitvoer niet schrijven: { $error }. Controleer waar de standaarduitvoer heen gaat (schijf vol?)
cli-arg-runtime = kan de asynchrone runtime niet starten: { $error }
cli-arg-dumb-terminal = de wizard kan niet tekenen op een eenvoudige terminal (TERM=dumb). Gebruik voor scripts `stepwise steps --car ID [--json]`, of zet TERM, bijv. TERM=xterm-256color
cli-arg-demo-scripts = Voor de voertuigen van de demo antwoordt `stepwise steps --car 987654` (of 111111, 222222, 333333, 444444) alleen uit dezelfde ingebouwde simulator waar geen gateway is ingesteld (geen --api, STEPWISE_API of `api` in het configuratiebestand); de F0001… van de bord-demo bestaan alleen daarin
cli-arg-no-terminal = de wizard heeft een interactieve terminal nodig. Gebruik voor scripts `stepwise steps --car ID [--json]`
cli-arg-report-written = Sessierapport geschreven naar { $path }
cli-arg-report-empty = Niets te melden: in deze sessie is geen voertuig geopend en geen notitie geschreven ({ $path } vermeldt dat).
cli-arg-report-notes-kept = Je notities zijn bewaard: er was geen --report gegeven, en de sessie eindigde zonder tweede q, dus het sessierapport is naar { $path } geschreven
cli-arg-report-notes-unkept = Je notities konden in geen enkel rapport worden geschreven (ook de rapporten in de gegevensmap zijn niet schrijfbaar); hier zijn ze, om te kopiëren:
cli-arg-report-earlier-kept = Het eerdere rapport op dat pad is bewaard als { $path }
cli-arg-internal-error = stepwise is gestopt na een interne fout (de melding staat hierboven); het logbestand bevat de details voor support.
cli-arg-scenario-bad = { $error }. Verbeter het bestand of laat --scenario weg
scenario-unreadable = het scenario { $path } is niet leesbaar: { $error }
scenario-not-json = het scenario { $path } is geen JSON van een scenario ({ $detail })
scenario-unknown-member = het bevat een veld { $member }, dat een scenario niet heeft, op regel { $line }, kolom { $column }
scenario-missing-member-at = het object dat eindigt op regel { $line }, kolom { $column } mist het veld { $member }
scenario-shape-at = de vorm wijkt af van die van een scenario op regel { $line }, kolom { $column }
scenario-cut = het scenario { $path } stopt voordat de JSON eindigt (regel { $line }, kolom { $column }): het bestand is afgebroken
scenario-syntax = het scenario { $path } is geen geldige JSON op regel { $line }, kolom { $column } (een ontbrekend aanhalingsteken, komma of haakje, of helemaal geen JSON-bestand): verbeter het daar
scenario-bad-id = het scenario { $path }: de carAssociationID { $id } bestaat niet uit letters a–z, A–Z, cijfers, - of _
scenario-id-twice = het scenario { $path }: de carAssociationID { $id } komt twee keer voor
scenario-step-names = het scenario { $path }: elke stap van { $id } heeft een naam nodig, elke naam één keer
cli-arg-addr-unresolved = kan --addr { $addr } niet opzoeken: { $error }. Geef een IP-adres of een hostnaam die deze machine kent, bijv. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } levert geen adres op. Geef een IP-adres, bijv. 127.0.0.1:8080
cli-arg-listen-failed = kan niet luisteren op { $addr }: { $error }. Kies een ander --addr
cli-arg-bound-unknown = kan het gebonden adres voor { $addr } niet bepalen. Kies een ander --addr
cli-arg-sim-stopped = de simulator is gestopt: { $error }
cli-arg-tls-no-dir = geen gegevensmap om de certificaten in te schrijven. Geef --tls-dir MAP
cli-arg-tls-dir-failed = kan { $path } niet aanmaken: { $error }. Geef een ander --tls-dir
cli-arg-tls-write-failed = { $error }. Geef een ander --tls-dir
cli-arg-client-ca-unreadable = kan het --client-ca-bestand { $path } niet lezen: { $error }. Controleer het pad
cli-arg-client-ca-bad = { $error }. Controleer het --client-ca-bestand
cli-arg-tls-authority-written = Certificeringsinstantie geschreven naar { $path }: clients vertrouwen die met --ca-file { $path }
cli-arg-tls-client-cert = Een clientcertificaat van deze autoriteit, om een gateway te proberen die er een eist (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Certificeringsinstantie van een eerdere run behouden in { $path } (verwijder daar ca.pem, cert.pem en key.pem voor nieuwe): clients vertrouwen haar met --ca-file { $path }
cli-arg-tls-kept-uncovered = Let op: het in { $path } bewaarde certificaat is gemaakt voor { $names }, niet voor { $missing }: clients die { $missing } in --api gebruiken krijgen een certificaatfout. Verwijder ca.pem, cert.pem en key.pem in { $dir } om nieuwe te laten maken (clients vertrouwen dan de nieuwe ca.pem)
cli-arg-tls-kept-bad = de TLS-bestanden die al in { $dir } staan zijn niet bruikbaar ({ $error }). Ze blijven zoals ze zijn: verwijder daar ca.pem, cert.pem en key.pem om nieuwe te laten maken, of geef een andere --tls-dir
sim-tls-library = de TLS-bibliotheek weigerde de instelling: { $error }
sim-tls-write = { $path } kan niet worden geschreven: { $error }
sim-tls-cert-none = cert.pem bevat geen PEM-certificaat (geen BEGIN CERTIFICATE-blok)
sim-tls-cert-not-pem = cert.pem is geen geldige PEM (een blok is beschadigd)
sim-tls-key-none = key.pem bevat geen private PEM-sleutel
sim-tls-key-mismatch = cert.pem en key.pem horen niet bij elkaar (de sleutel is niet die van het certificaat)
sim-tls-client-ca-none = het --client-ca-bestand { $path } bevat geen PEM-certificaat (geen BEGIN CERTIFICATE-blok): geef het PEM-bestand van de certificaatautoriteit die de clientcertificaten uitgeeft
sim-tls-client-ca-not-pem = het --client-ca-bestand { $path } is geen geldige PEM (een blok is beschadigd)
sim-tls-client-ca-not-authority = het --client-ca-bestand { $path } bevat een certificaat dat niet als certificaatautoriteit kan dienen ({ $detail })
cli-arg-tls-partial = { $dir } bevat { $present } maar niet alle van ca.pem, cert.pem en key.pem: er wordt niets overschreven (clients kunnen die autoriteit vertrouwen). Zet de ontbrekende bestanden erbij, verwijder deze, of geef een andere --tls-dir
cli-arg-tls-client-ca-required = Clientcertificaten ondertekend door { $path } zijn verplicht
cli-arg-sim-listening = stepwise-simulator luistert op { $url } ({ $count ->
        [one] 1 toewijzing
       *[other] { $count } toewijzingen
    }; { $required }; Ctrl-C stopt)
cli-arg-sim-token-either = bearer-token of inlogtoken vereist
cli-arg-sim-token-bearer = bearer-token vereist
cli-arg-sim-token-signed-in = inlogtoken vereist
cli-arg-sim-token-none = geen token vereist
cli-arg-sim-open-network = Let op: { $url } is bereikbaar vanaf andere machines en vraagt geen token: iedereen op dat netwerk kan de besturingsaanroepen gebruiken (/sim/…: stappen voltooien of intrekken, aanmeldingen goedkeuren). Vereis een token met --token-file PAD, of luister alleen op 127.0.0.1.
cli-arg-sim-reach = Andere computers en telefoons bereiken hem op { $url }: geef dat adres daar aan --api (de QR-code van de klantuitleg wijst dan ook daarheen)
cli-arg-sim-device-sign-in = inloggen via apparaat aan: tokens gelden { $seconds } s; keur een code goed met POST /sim/device/CODE/approve (of /deny), of open { $url }/device

## Command-line errors: configuration, networks, sign-in storage
# Het configuratiebestand; { $file } is het pad, of het pad en de variabele die het noemt
err-config-named-by = { $path } (uit STEPWISE_CONFIG)
err-config-not-utf8 = het configuratiebestand { $file } is geen UTF-8-tekst. Sla het op als UTF-8-TOML
err-config-missing = het configuratiebestand { $file } bestaat niet. Maak het aan, of corrigeer of verwijder STEPWISE_CONFIG
err-config-folder-named = het configuratiebestand { $file } is een map, geen bestand. Corrigeer STEPWISE_CONFIG of verwijder de variabele
err-config-folder = het configuratiebestand { $file } is een map, geen bestand. Verwijder de map of zet er een configuratiebestand neer
err-config-unreadable = kan het configuratiebestand { $file } niet lezen: { $kind }. Maak het leesbaar voor uzelf
err-config-unreadable-other = kan het configuratiebestand { $file } niet lezen: { $kind }. Verhelp wat daar mis is, of laat STEPWISE_CONFIG naar een ander configuratiebestand wijzen
err-config-invalid-at = het configuratiebestand { $file } is ongeldig op regel { $line }, kolom { $column }: { $why }. Bekende sleutels: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = het configuratiebestand { $file }, regel { $line }: een backslash in "…"-tekst begint een escape (\t is een tab, \n een regeleinde), dus een Windows-pad breekt daar. Schrijf het pad tussen enkele aanhalingstekens ('C:\Users\ik\tok'), of met / of \\ in plaats van elke \
err-config-empty-path = het configuratiebestand { $file }, regel { $line }: { $key } is leeg en noemt dus geen bestand. Geef het pad van het bestand, of verwijder de regel
err-config-invalid = het configuratiebestand { $file } is ongeldig: { $why }. Bekende sleutels: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = het configuratiebestand { $file } is ongeldig op regel { $line }, kolom { $column }: { $why }
err-config-syntax = het configuratiebestand { $file } is ongeldig: { $why }
config-unknown-key = { $key } is geen sleutel die stepwise kent
config-wants-text = deze waarde moet tekst tussen aanhalingstekens zijn (sleutel = "waarde")
config-quote = een tekstwaarde staat tussen aanhalingstekens (sleutel = "waarde")
config-unclosed = een tekst tussen aanhalingstekens is niet afgesloten. Sluit hem af met het teken waarmee hij begint (" of ')
config-no-equals = een sleutel en zijn waarde worden verbonden met = (sleutel = "waarde"), niet met een dubbele punt of een spatie
config-extra-equals = tussen een sleutel en zijn waarde staat één = (sleutel = "waarde")
config-duplicate = deze sleutel staat er een tweede keer. Houd er één over
config-one-per-line = één sleutel = "waarde" per regel, met na de waarde alleen een #-opmerking
config-table = dit bestand kent geen [sectie]-kop: elke instelling is een eigen regel, sleutel = "waarde"
config-no-key = de sleutel ontbreekt vóór de =: elke instelling is een regel sleutel = "waarde", bijv. api = "https://gateway.example"
# Een tokenbestand en een token als tekst; { $from } zegt waar het werd opgegeven
err-from-config-token = het configuratiebestand
err-from-stdin = standaardinvoer
err-from-config-token-file = token_file in het configuratiebestand
err-from-config-ca-file = ca_file in het configuratiebestand
err-token-file-missing = het tokenbestand { $path } (uit { $from }) bestaat niet. Controleer het pad, of sla het token daar op
err-token-file-unexpanded = het tokenbestand { $path } (uit { $from }) bestaat niet: in een pad worden alleen ~/ of $HOME/ aan het begin ingevuld, elke andere variabele blijft letterlijk staan. Geef het volledige pad
err-token-file-folder = het tokenbestand { $path } (uit { $from }) is een map. Geef het bestand met het token, niet de map
err-token-file-denied = het tokenbestand { $path } (uit { $from }) is niet leesbaar: toegang geweigerd. Maak het leesbaar voor uzelf (bijv. chmod 600)
err-token-file-unreadable = het tokenbestand { $path } (uit { $from }) is niet leesbaar ({ $kind }). Controleer het pad en het bestand
err-token-file-not-utf8 = het tokenbestand { $path } (uit { $from }) is geen UTF-8-tekst. Zet het token van de gateway erin als platte tekst
err-token-file-empty = het tokenbestand { $path } (uit { $from }) is leeg. Zet het token van de gateway erin, alleen op één regel
err-token-file-characters = het tokenbestand { $path } (uit { $from }) bevat spaties of tekens die een token niet kan hebben. Zet het token alleen op één regel, precies zoals de gateway het gaf
err-token-file-bearer = het tokenbestand { $path } (uit { $from }) bevat het woord Bearer vóór het token: haal het woord Bearer weg en laat het token alleen op de regel staan; stepwise zet Bearer er zelf voor
err-token-file-wrapped = het tokenbestand { $path } (uit { $from }) bevat het token { $shape }: houd alleen het token zelf over, alleen op zijn regel, precies zoals de gateway het uitgaf
err-serve-token-file-characters = het tokenbestand { $path } (uit serve --token-file) bevat spaties, aanhalingstekens of tekens die een token niet kan hebben. Het token van de simulator kiest u zelf: zet er een van alleen letters, cijfers en - . _ ~ + / in, alleen op zijn regel
err-token-file-lines = het tokenbestand { $path } (uit { $from }) heeft { $n ->
    [one] { $n } regel
   *[other] { $n } regels
}. Een tokenbestand bevat alleen het token, op één regel
err-token-text = het token in { $from } bevat spaties, regeleinden of tekens die een token niet kan hebben. Geef het token precies zoals de gateway het uitgaf
err-token-text-bearer = het token in { $from } begint met het woord Bearer: haal het woord Bearer weg en geef alleen het token; stepwise zet Bearer er zelf voor
err-token-text-wrapped = het token in { $from } is { $shape } opgegeven: geef het token zelf, precies zoals de gateway het uitgaf
err-serve-token-text = het token van de simulator (serve --token of STEPWISE_SERVE_TOKEN) bevat spaties, aanhalingstekens of tekens die een token niet kan hebben. U kiest het zelf: gebruik alleen letters, cijfers en - . _ ~ + /
token-shape-quoted = tussen aanhalingstekens
token-shape-assignment = als naam=waarde (een regel van een script of .env-bestand)
token-shape-json = in JSON (zoals het antwoord van een identiteitsprovider: de waarde van zijn access_token is het token)
token-shape-punctuated = met een ';' of ',' erachter (gekopieerd uit een opdrachtregel of een lijst)
token-shape-header = als een hele headerregel (`Authorization: Bearer …`; stepwise voegt de header en het woord Bearer zelf toe)
err-token-text-empty = het token in { $from } is leeg. Geef het token precies zoals de gateway het uitgaf, of verwijder de instelling
err-config-token-not-text = het configuratiebestand { $file } geeft een token dat geen tekst tussen aanhalingstekens is (de waarde wordt niet getoond). Schrijf het als token = "…", precies zoals de gateway het uitgaf
err-file-too-large = groter dan { $limit } KiB, veel meer dan zo'n bestand ooit bevat
err-io-not-found = bestand niet gevonden
err-io-denied = toegang geweigerd (deze gebruiker mag het niet lezen)
err-io-folder = dat is een map, geen bestand
err-io-not-text = dat is geen UTF-8-tekst
# URL's
err-user-info-gateway = de gateway-URL bevat een gebruikersnaam of wachtwoord (user:password@host), die stepwise niet toont en niet verstuurt. Haal ze uit --api, STEPWISE_API of api in het configuratiebestand; het token van de gateway hoort in --token-file, STEPWISE_TOKEN of het configuratiebestand
err-user-info-docs = de basis-URL van de documentatie bevat een gebruikersnaam of wachtwoord (user:password@host), die stepwise niet toont en niet verstuurt. Haal ze uit { $place }; het token van de gateway hoort in --token-file, STEPWISE_TOKEN of het configuratiebestand
err-docs-url = de basis-URL van de documentatie { $url } is geen http(s)-URL. Corrigeer { $place }, bijv. https://help.dealer.example
err-docs-url-why = de basis-URL van de documentatie { $url } is onbruikbaar: { $why }. Verbeter { $place }, bijv. https://help.dealer.example
docs-place-config = docs_base_url in het configuratiebestand
err-api-scheme = de gateway-URL { $url } zegt geen http:// of https://: zet er http:// of https:// voor, bijv. http://{ $url }
err-api-scheme-typo = in de gateway-URL { $url } is het schema verkeerd getypt (er moet :// staan): schrijf { $fixed }
err-api-empty = --api (of STEPWISE_API) is opgegeven maar leeg: geef de URL van de gateway, bv. --api http://127.0.0.1:8080, of laat het weg om de ingebouwde simulator te gebruiken
err-api-empty-in-file = `api` in het configuratiebestand ({ $path }) is leeg: geef daar de URL van de gateway, bijv. api = "http://127.0.0.1:8080", of haal de regel weg om de ingebouwde simulator te gebruiken
# Certificaten, sleutels en proxy's; { $why } sluit de zin af die het bestand noemt
err-ca-file = het CA-bestand { $path } { $why }. Geef een PEM-bestand van de certificeringsinstantie met --ca-file
err-ca-file-from = het CA-bestand { $path } (uit { $from }) { $why }. Verbeter { $from } zodat het een PEM-bestand van de certificeringsinstantie noemt, of verwijder die instelling
err-client-cert = het clientcertificaat { $path } { $why }. Geef een PEM-certificaat met --client-cert (en de sleutel met --client-key)
err-client-cert-bare = het clientcertificaat { $path } { $why }
err-key-not-in-cert = het clientcertificaat { $path } { $why }; zet de sleutel in hetzelfde bestand of geef --client-key. Geef een PEM-certificaat met --client-cert (en de sleutel met --client-key)
err-client-key = de clientsleutel { $path } { $why }. Geef de privésleutel van het certificaat (PEM) met --client-key
err-key-mismatch = de clientsleutel { $key } past niet bij het certificaat { $cert }. Geef de sleutel waarmee dit certificaat gemaakt is
err-key-without-cert = --client-key { $key } werd opgegeven zonder --client-cert. Geef ze allebei
err-key-without-cert-config = `client_key` in het configuratiebestand noemt { $key }, maar er is geen clientcertificaat ingesteld: voeg `client_cert` toe aan het configuratiebestand (of geef --client-cert)
err-pem-missing = is niet leesbaar (bestaat niet)
err-pem-denied = is niet leesbaar (toegang geweigerd)
err-pem-unreadable = is niet leesbaar ({ $kind })
err-pem-not-pem = is geen geldige PEM ({ $detail })
err-pem-no-certificate = bevat geen PEM-certificaat (geen BEGIN CERTIFICATE-blok)
err-pem-no-key = bevat geen PEM-privésleutel (geen BEGIN PRIVATE KEY-blok)
err-pem-encrypted = is versleuteld met een wachtwoordzin, en versleutelde sleutels worden niet ondersteund. Ontsleutel hem eenmalig met `openssl pkey -in SLEUTEL -out ONVERSLEUTELD.key` en houd dat bestand privé
err-pem-bad-key = is geen geldige PEM-sleutel ({ $detail })
err-pem-no-authority = bevat geen bruikbare certificeringsinstantie
err-pem-unusable = is onbruikbaar ({ $detail })
err-pem-cert-version1 = is onbruikbaar: het is een X.509-certificaat versie 1 (zonder extensies), dat de TLS-bibliotheek van stepwise niet kan aanbieden, ook waar een gateway het zou aannemen; vraag wie ze uitgeeft om een certificaat versie 3
err-pem-cert-refused = is onbruikbaar: de TLS-bibliotheek weigert dit certificaat; vraag wie ze uitgeeft om een nieuw
err-proxy = de proxy in { $from } is onbruikbaar: { $why }. Geef hem als http://HOST:PORT, of verwijder { $from } om rechtstreeks te verbinden
err-proxy-socks = de proxy in { $from } is een SOCKS-proxy ({ $scheme }://), en stepwise spreekt alleen met HTTP-proxy's. Vraag naar de HTTP-proxy van het netwerk en geef die als http://HOST:PORT, of verwijder { $from } om rechtstreeks te verbinden
err-proxy-not-url = het is geen URL ({ $detail })
err-proxy-scheme = het schema { $scheme } wordt niet ondersteund (alleen http://-proxy's)
err-proxy-no-host = er ontbreekt een host
err-proxy-userinfo-chars = de gebruikersnaam of het wachtwoord erin bevat \, /, ? of #, die een URL daar alleen procent-gecodeerd aanneemt: schrijf \ als %5C (DOMEIN%5Cgebruiker), / als %2F, ? als %3F en # als %23
err-tls-setup = kan TLS niet instellen: { $detail }
# Waar logins bewaard worden: de sleutelbos of het loginbestand; { $why } en { $kind } zijn de woorden van het systeem
err-store-choice = STEPWISE_TOKEN_STORE moet keyring, file of auto zijn, niet { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, maar de sleutelbos is onbruikbaar: { $why }. { $fix }
err-store-nowhere = er is geen sleutelbos en geen datamap om het token te bewaren. Zet HOME, of geef een token met --token-file
err-store-no-data-dir = er is geen datamap om het token te bewaren; zet HOME
err-store-encode = kan de login niet coderen: { $detail }
err-store-unreadable = de login die voor { $gateway } bewaard is, is niet leesbaar. Voer `stepwise logout` uit, daarna `stepwise login`
err-store-too-slow = de sleutelbos antwoordde niet binnen { $secs } s. Ontgrendel hem, of zet STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = de sleutelbos weigerde een item voor { $gateway }: { $why }
err-store-keyring-read = kan de login niet uit de sleutelbos ({ $name }) lezen: { $why }. { $fix }
err-store-keyring-write = kan de login niet in de sleutelbos ({ $name }) bewaren: { $why }. { $fix }
err-store-keyring-too-small = de login is te lang voor de sleutelbos ({ $name }), die hoogstens { $max } bytes per item bewaart. Zet STEPWISE_TOKEN_STORE=file om hem in een bestand te bewaren
err-store-keyring-remove = kan de login niet uit de sleutelbos ({ $name }) verwijderen: { $why }
keyring-no-bus = er is geen sessiebus van het bureaublad (D-Bus) bereikbaar, dus er kan geen sleutelbos worden gevraagd (een SSH- of servicesessie, of een container, heeft er geen)
keyring-locked = de sleutelbos is vergrendeld, of de vraag om te ontgrendelen is weggeklikt
keyring-no-service = geen sleutelbosdienst (Secret Service, zoals GNOME Keyring of KWallet) antwoordt
keyring-malformed = het geheim dat daar bewaard is, is beschadigd
keyring-other = de sleutelbos antwoordde: { $detail }
keyring-fix-no-bus = Start stepwise in de bureaubladsessie, of zet STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Ontgrendel hem, of zet STEPWISE_TOKEN_STORE=file
keyring-fix-start = Ontgrendel of start hem, of zet STEPWISE_TOKEN_STORE=file
err-store-file-damaged = het loginbestand { $path } is beschadigd: het is niet de JSON die stepwise schrijft (het werd gelezen, maar niet begrepen). Het bevat de bewaarde logins van alle gateways, en geen ervan is bruikbaar: zet het opzij (of verwijder het)
err-login-file-damaged = { $why }, en voer daarna deze opdracht opnieuw uit
err-store-file-read = kan het loginbestand { $path } niet lezen: { $kind }. Controleer de rechten
err-store-file-in-the-way = kan het loginbestand { $path } niet lezen: { $kind }. Verplaats wat in de weg staat, zodat de datamap een map is
err-store-file-is-folder = kan het loginbestand { $path } niet lezen: het is een map, geen bestand. Verplaats of verwijder die map (stepwise schrijft zijn aanmeldingen naar een bestand met die naam) en meld u opnieuw aan
err-store-file-remove = kan het loginbestand { $path } niet verwijderen: { $kind }
err-store-file-folder = kan de map van het loginbestand { $path } niet aanmaken: { $kind }. Controleer de rechten van de datamap
err-store-file-create = kan het loginbestand { $path } niet aanmaken: { $kind }. Controleer de rechten van de datamap
err-store-file-write = kan het loginbestand { $path } niet schrijven: { $kind }. Controleer de rechten van de datamap
err-store-file-replace = kan het loginbestand { $path } niet vervangen: { $kind }. Controleer de rechten van de datamap
# Inloggen in een gewone terminal: stepwise login, logout en auth status
err-login-no-gateway = { $command } heeft een gateway nodig: geef --api URL (of STEPWISE_API, of `api` in het configuratiebestand). De ingebouwde simulator vraagt niet om inloggen
cli-api-from-env = Het adres van de gateway kwam uit STEPWISE_API, niet uit --api: verbeter het daar, of geef --api (dat voorgaat)
cli-api-from-config = Het adres van de gateway kwam uit `api` in het configuratiebestand { $path }, niet uit --api: verbeter het daar, of geef --api (dat voorgaat)
err-login-cancelled = inloggen geannuleerd; er is niets bewaard
err-login-keep-failed = het token bewaren is mislukt: { $detail }
err-login-read-failed = het token lezen is mislukt: { $detail }
err-login-terminal = kan het token niet van de terminal lezen: { $kind }. Geef het via standaardinvoer: `stepwise login --with-token < token.txt`
err-login-stdin = kan het token niet van standaardinvoer lezen: { $kind }. Geef het als tekst, op één regel
err-login-token-lines = de standaardinvoer bevat meerdere regels, en een token is er één: geef het token alleen, op één regel (een token dat een mail of terminal heeft afgebroken moet weer aaneen); er is niets bewaard
err-login-token-refused = de gateway op { $gateway } weigerde dit token (HTTP 401), dus het is niet bewaard. Vraag wie de gateway beheert om het huidige token
err-login-token-dropped = het token is niet bewaard: de gateway op { $gateway } antwoordt alsof er geen token aankwam (zijn challenge noemt geen fout), en de aanroep ging via de proxy { $proxy }, die de Authorization-header misschien weghaalt, dus of de gateway het token aanneemt is niet bekend. Zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is, of vraag de beheerder van de proxy de Authorization-header door te laten
err-login-token-untried-not-kept = het token is niet bewaard, omdat het niet geprobeerd kon worden: { $why }. Bewaar het zodra de proxy het verzoek doorlaat (of NO_PROXY hem overslaat)
err-login-token-refused-signin = de gateway op { $gateway } weigerde dit token (HTTP 401), dus het is niet bewaard. Deze gateway biedt aanmelding, waarvan de tokens zichzelf vernieuwen: voer `stepwise login` uit (zonder --with-token)
err-login-refused-through-proxy = De aanroep ging via de proxy { $proxy } (uit { $from }), die de Authorization-header onderweg kan weglaten, zodat de gateway geen token zag: zet vóór alles NO_PROXY={ $host } en probeer het opnieuw, als de gateway zonder de proxy bereikbaar is
err-login-token-scope = de gateway op { $gateway } nam dit token aan, maar zegt dat de scope { $scope } ontbreekt (zijn WWW-Authenticate: insufficient_scope), dus de stappen zouden ermee geweigerd worden: het is niet bewaard. Vraag wie de tokens uitgeeft om een token met die scope
err-login-token-scope-unnamed = de gateway op { $gateway } nam dit token aan, maar zegt dat er een scope ontbreekt die hij niet noemt (zijn WWW-Authenticate: insufficient_scope), dus de stappen zouden ermee geweigerd worden: het is niet bewaard. Vraag de beheerder van de gateway welke, en wie de tokens uitgeeft om een token daarmee
err-login-kept-unchanged = { $words }. De eerder bewaarde login voor deze gateway blijft ongewijzigd
err-login-no-token = standaardinvoer bevat geen bruikbaar token: geef één regel zichtbare tekens (zonder spaties), hoogstens 8 KiB
err-logout-failed = het token verwijderen is mislukt: { $detail }
err-logout-unreached = intrekken bij de identiteitsprovider is mislukt ({ $why }), dus de aanmelding blijft hier bewaard: het vernieuwingstoken blijft geldig bij de provider, en `stepwise logout` kan het intrekken zodra de provider bereikbaar is. Om haar hier te vergeten zonder in te trekken: `stepwise logout --forget`
err-logout-wait = intrekken bij de identiteitsprovider is voorlopig mislukt ({ $why }), en de provider vraagt { $wait } te wachten, dus de aanmelding blijft hier bewaard: voer na die wachttijd `stepwise logout` opnieuw uit om haar in te trekken. Om haar hier te vergeten zonder in te trekken: `stepwise logout --forget`
err-logout-proxy = intrekken bij de identiteitsprovider is mislukt: { $words }. De aanmelding blijft hier bewaard tot `stepwise logout` haar kan intrekken; om haar hier te vergeten zonder in te trekken: `stepwise logout --forget`
err-logout-unreached-access = intrekken bij de identiteitsprovider is mislukt ({ $why }), dus de aanmelding blijft hier bewaard: het token blijft geldig bij de provider tot het verloopt, en `stepwise logout` kan het intrekken zodra de provider bereikbaar is. Om haar hier te vergeten zonder in te trekken: `stepwise logout --forget`
# Inloggen met apparaat bij de gateway: discovery en de antwoorden van de identiteitsprovider; { $said } is de eigen fout van de provider
err-signin-endpoint-device = adres
err-signin-endpoint-token = tokenadres
err-signin-endpoint-verification = verificatieadres
err-signin-address-not-url = geen URL
err-signin-address-plain-http = gewoon http achter een https-gateway
err-signin-address-not-http = geen http(s)-URL
err-signin-address-no-host = geen host
err-signin-address = het inlog-{ $what } van de gateway { $url } is onbruikbaar: { $why }. Meld het aan de beheerder van de gateway, of log in met `stepwise login --with-token`
err-signin-address-provider = het inlog-{ $what } van de identiteitsprovider { $url } is onbruikbaar: { $why }. De code kan daar niet worden goedgekeurd: meld het aan wie de identiteitsprovider beheert
err-signin-discovery-status = de gateway op { $gateway } antwoordde HTTP { $status } op de inlog-discovery ({ $path }). Probeer het later opnieuw, of log in met `stepwise login --with-token`
err-signin-discovery-blocked = de aanmeldingsdetectie bij { $gateway } kreeg een webpagina met HTTP { $status }{ $said }, niet het antwoord van de gateway: iets vóór de gateway (een firewall, een webapplicatiefirewall of een reverse proxy) weigerde haar, dus of de gateway aanmelding biedt, is onbekend. Vraag de beheerder van het netwerk of die dit adres blokkeert
err-signin-discovery-silent = de gateway op { $gateway } nam de verbinding aan, maar zijn inlog-discovery ({ $path }) antwoordde niet op tijd. Probeer het later opnieuw; houdt het aan, meld het dan aan de beheerder van de gateway
err-signin-discovery-named = de gateway op { $gateway } noemt zijn aanmeldmetadata op { $url } (in de challenge van zijn HTTP 401), en dat adres was niet bruikbaar ({ $met }): het antwoord van de gateway zelf was in orde, zijn aanmeldadres niet. Laat het weten aan wie de gateway beheert; ken je de identiteitsprovider van deze gateway, geef die dan met --issuer (of STEPWISE_ISSUER, `issuer` in het configuratiebestand)
named-met-page = een webpagina, geen JSON-metadata
named-met-not-http = het is geen http(s)-adres
named-met-no-server = de metadata noemen geen autorisatieserver
err-signin-discovery-not-json = het inlog-discoverydocument van de gateway ({ $path }) is geen geldige JSON. Meld het aan de beheerder van de gateway, of log in met `stepwise login --with-token`
err-signin-issuer-not-json = de metadata van de identiteitsprovider ({ $url }) zijn geen geldige JSON: controleer --issuer (of STEPWISE_ISSUER) als dat is opgegeven, waarschuw anders wie de gateway beheert; of meld u aan met `stepwise login --with-token`
err-signin-issuer-page = de metadata van de identiteitsprovider ({ $url }) zijn een webpagina{ $said }, niet zijn JSON: het adres is een website of een portaal, niet de identiteitsprovider. Controleer --issuer (of STEPWISE_ISSUER) als dat is opgegeven, waarschuw anders wie de gateway beheert; antwoordt een portaal in de plaats van de provider, vraag het dan aan wie het netwerk beheert
err-signin-discovery-missing = het inlog-discoverydocument van de gateway heeft geen { $field }: hij biedt geen inloggen met apparaat. Log in met `stepwise login --with-token`
err-login-no-device = --device vraagt om aanmelden per apparaat, en de identiteitsprovider van { $gateway } biedt dat niet (zijn metadata heeft geen device_authorization_endpoint). Meld aan zonder --device op een machine waar een browser kan openen, of bewaar een token van de beheerder van de gateway (`stepwise login --with-token`)
err-signin-not-offered-status = de gateway op { $gateway } biedt geen inloggen (geen /.well-known/oauth-authorization-server, HTTP { $status }). Als --api klopt, neemt hij een vast token van wie hem beheert: bewaar dat token met `stepwise login --with-token`
err-signin-not-offered = de gateway op { $gateway } biedt geen inloggen (geen /.well-known/oauth-authorization-server). Als --api klopt, neemt hij een vast token van wie hem beheert: bewaar dat token met `stepwise login --with-token`
err-login-not-needed = de gateway op { $gateway } biedt geen aanmelding, en hij antwoordde zonder token: hij heeft er hier geen nodig, dus er is niets om bij aan te melden of te bewaren. Voer `stepwise steps --car ID` zo uit
err-login-refused-at-once = aangemeld, maar de gateway op { $gateway } weigerde het token dat de identiteitsprovider zojuist uitgaf (HTTP 401, één keer geprobeerd): hij neemt geen van de tokens van deze provider aan zoals ze worden gevraagd. Vraag wie de gateway beheert welke audience en scopes hij wil, en geef de audience met --audience of `audience` in het configuratiebestand; de aanmelding blijft tot dan bewaard (`stepwise logout` vergeet haar)
err-login-scope-at-once = aangemeld, maar de gateway op { $gateway } zegt dat het token dat de identiteitsprovider net uitgaf de scope { $scope } mist (zijn WWW-Authenticate: insufficient_scope, één keer geprobeerd), dus de stappen zouden ermee geweigerd worden. { $why } De aanmelding blijft tot dan bewaard (`stepwise logout` vergeet haar)
login-scope-not-granted = De provider gaf alleen { $granted }: vraag de beheerder ervan { $scope } aan de client stepwise te geven.
login-scope-asked = De aanmelding vroeg om { $scope }, dus opnieuw aanmelden vraagt hetzelfde: vraag de beheerder van de provider of die stepwise { $scope } geeft, of de beheerder van de gateway welke scope of audience die wil.
login-scope-not-asked = Meld opnieuw aan en vraag erom: `stepwise login --scope "{ $ask }"` (of `scopes` in het configuratiebestand).
err-signin-too-large = het antwoord van { $url } is groter dan { $kib } KiB. Controleer of --api naar een stappengateway wijst
err-signin-compressed-proxy = de aanmeldaanroep naar { $url } kwam gecomprimeerd ({ $encoding }) terug via de proxy { $proxy }, hoewel stepwise antwoorden ongewijzigd vraagt: de proxy, of de server erachter, comprimeert ze. Vraag het wie de proxy beheert, of meld het aan de beheerder van de gateway; zet NO_PROXY={ $host } als het zonder de proxy bereikbaar is, wat ook laat zien wie het doet
err-signin-compressed = de aanmeldaanroep naar { $url } kwam gecomprimeerd ({ $encoding }) terug, hoewel stepwise antwoorden ongewijzigd vraagt: iets voor de identiteitsprovider comprimeert ze. Meld het aan de beheerder van de gateway
err-signin-redirected = de aanmeldaanroep naar { $url } kreeg een omleiding naar { $to }; stepwise stuurt geen aanmeldcode of token door naar een ander adres. Vraag de beheerder van de gateway om het eigen adres van de aanmelddienst
err-signin-code-refused = de identiteitsprovider weigerde een code te geven ({ $said }). Probeer het later opnieuw, of log in met `stepwise login --with-token`
err-signin-code-busy = de identiteitsprovider kan op dit moment geen code geven ({ $said }). Wacht een minuut en voer `stepwise login` opnieuw uit, of log in met `stepwise login --with-token`
err-signin-code-busy-wait = de identiteitsprovider kan op dit moment geen code geven ({ $said }) en vraagt { $wait } te wachten. Voer `stepwise login` na die wachttijd opnieuw uit
err-signin-metadata-busy = de identiteitsprovider op { $issuer } kan zijn aanmeldmetadata op dit moment niet geven (HTTP { $status }): hij is bezet of beperkt verzoeken, en de uitgever klopt. Probeer het over een minuut opnieuw
err-signin-metadata-busy-wait = de identiteitsprovider op { $issuer } kan zijn aanmeldmetadata op dit moment niet geven (HTTP { $status }) en vraagt { $wait } te wachten: hij is bezet of beperkt verzoeken, en de uitgever klopt. Probeer het na die wachttijd opnieuw
err-signin-not-device-code = het antwoord van de identiteitsprovider op { $url } is geen apparaatcode (RFC 8628). Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
err-signin-device-code-lacks = het antwoord van de identiteitsprovider op { $url } is een apparaatcode zonder { $member } (RFC 8628 §3.2), dus de aanmelding kan niet verder. Meld het aan wie de provider beheert
err-signin-bad-device-code = de identiteitsprovider gaf een onbruikbare apparaatcode. Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
err-signin-unsafe-user-code = de identiteitsprovider gaf een code die niet veilig getoond kan worden ({ $code }). Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
err-signin-not-token-answer = het tokenantwoord van de identiteitsprovider is onbruikbaar: geen tokenantwoord (RFC 6749). Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
err-signin-not-bearer = het tokenantwoord van de identiteitsprovider is onbruikbaar: het token is geen Bearer-token. Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
err-signin-token-characters = het tokenantwoord van de identiteitsprovider is onbruikbaar: het token bevat tekens die een header niet kan dragen. Controleer het adres van de uitgever (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand) als er een is opgegeven, meld het anders aan de beheerder van de gateway
err-signin-token-empty = het tokenantwoord van de identiteitsprovider is onbruikbaar: het access_token is leeg. Meld het aan wie de provider beheert; is er een uitgever opgegeven (--issuer, STEPWISE_ISSUER of `issuer` in het configuratiebestand), controleer dan of het de juiste is
err-signin-stopped = de identiteitsprovider heeft het inloggen gestopt ({ $said }). Voer `stepwise login` opnieuw uit
err-signin-grant-unsupported = de identiteitsprovider biedt aanmelden met een code op een ander apparaat niet aan ({ $said }): opnieuw zo aanmelden geeft hetzelfde. Meld je in plaats daarvan aan in een browser waar hij dat aanbiedt (`stepwise login` zonder --device, op een machine met een bureaublad), of bewaar een token met `stepwise login --with-token`; meld het aan wie de provider beheert als de apparaataanmelding zou moeten werken
err-signin-code-too-short = de code van de identiteitsprovider geldt { $lives }, maar de provider wil maar elke { $every } bevraagd worden: de code verloopt voordat hij één keer bevraagd kan worden, dus geen goedkeuring kan doorkomen (er is niets bevraagd). Meld het aan wie de provider beheert: de levensduur of het bevragingsinterval van zijn apparaatcodes is verkeerd ingesteld
err-signin-code-expired-early = de identiteitsprovider zei dat de code na { $after } verlopen was, hoewel hij hem { $lives } gaf: geen goedkeuring had eerder kunnen komen. Zijn klok of de levensduur van zijn codes klopt niet (of de code is al gebruikt): meld het aan wie de provider beheert
err-signin-code-lifetime-none = de apparaatcode van de identiteitsprovider duurt volgens zijn antwoord { $said } s (expires_in): hij is verlopen voordat iemand hem kan goedkeuren, dus er is niets opgevraagd. Meld het aan wie de provider beheert: de levensduur van zijn apparaatcodes is verkeerd ingesteld
err-signin-poll-failing = terwijl de code op goedkeuring wachtte, faalde de identiteitsprovider { $times } keer achter elkaar ({ $said }), dus is de aanmelding opgegeven. Wacht { $wait } en meld u dan opnieuw aan voor een nieuwe code; blijft het zo, meld het dan aan wie de provider beheert
err-signin-poll-failing-page = terwijl de code op goedkeuring wachtte, werd het tokenadres van de identiteitsprovider { $times } keer achter elkaar met een webpagina beantwoord ({ $said }): iets vóór de provider (een load balancer of een reverse proxy) faalt, dus is de aanmelding opgegeven. Wacht { $wait } en meld u dan opnieuw aan voor een nieuwe code; blijft het zo, meld het dan aan wie de provider beheert
err-signin-limited = de identiteitsprovider beperkt verzoeken (HTTP 429) en vraagt { $wait } te wachten, langer dan de code geldig is. Voer `stepwise login` na die wachttijd opnieuw uit
err-signin-refresh-failed = de identiteitsprovider kon het token niet vernieuwen ({ $said }). Probeer het over een minuut opnieuw
err-signin-refresh-failed-wait = de identiteitsprovider kon het token voorlopig niet vernieuwen ({ $said }) en vraagt { $secs } s te wachten. Probeer het dan opnieuw
err-signin-renewal-lost = de tokenvernieuwing naar { $url } kreeg geen antwoord (de verbinding sloot of bleef stil na het verzoek): de identiteitsprovider heeft de login misschien vernieuwd en daarbij het hier bewaarde vernieuwingstoken verbruikt. Probeer het één keer opnieuw; zegt het dan dat de login is opgebruikt, log dan opnieuw in met `stepwise login`
err-signin-renewal-lost-proxy = de tokenvernieuwing kreeg geen antwoord: { $why }. Als de vernieuwing de identiteitsprovider bereikte, kan die het hier bewaarde refreshtoken hebben verbruikt: probeer het opnieuw zodra de proxy verzoeken doorlaat; zegt hij dan dat de aanmelding is opgebruikt, meld u opnieuw aan met `stepwise login`
err-signin-keeping-failed = het token bewaren is mislukt: { $detail }. Log opnieuw in
err-signin-opening-failed = de tokenopslag openen is mislukt: { $detail }. Log opnieuw in
err-over-revoked = de login voor { $gateway } is verlopen of ingetrokken ({ $said })
err-over-spent = de login voor { $gateway } is opgebruikt door een eerdere vernieuwing waarvan het antwoord onderweg verloren ging ({ $said }): de identiteitsprovider heeft hem toen waarschijnlijk vernieuwd, en het hier bewaarde vernieuwingstoken is verbruikt
err-over-marked = de identiteitsprovider heeft de login voor { $gateway } beëindigd ({ $said })
err-over-client-refused = de identiteitsprovider weigert de client-id { $client } van de login voor { $gateway } ({ $said }): hij kent hem niet, of laat hem geen logins meer vernieuwen. Stel de daar voor stepwise geregistreerde id in met --client-id ID of `client_id` in het configuratiebestand, of vraag de beheerder van de provider of deze client nog toegelaten is
err-over-no-renewal = de identiteitsprovider laat de client-id { $client } de login voor { $gateway } niet vernieuwen ({ $said }): elke login duurt zo lang als zijn token, en opnieuw vragen verandert dat niet. Om minder vaak in te loggen, vraag de beheerder van de provider refresh-tokens voor deze client toe te staan
err-over-renewal-refused = de identiteitsprovider weigerde de login voor { $gateway } te vernieuwen ({ $said }), en zou hetzelfde verzoek weer weigeren
err-over-refused-fresh = de gateway weigert zelfs een token dat de identiteitsprovider net vernieuwde: hij neemt geen enkel token van deze provider zoals het wordt gevraagd, en op dezelfde manier opnieuw inloggen geeft hetzelfde. Vraag wie de gateway beheert welke audience en scopes hij verwacht, en geef de audience met --audience of `audience` in het configuratiebestand
err-over-refused-new = de gateway weigert een token dat de identiteitsprovider enkele minuten geleden uitgaf en dat niet te vernieuwen is: hij neemt geen enkel token van deze provider zoals het wordt gevraagd, en op dezelfde manier opnieuw inloggen geeft hetzelfde. Vraag wie de gateway beheert welke audience en scopes hij verwacht, en geef de audience met --audience of `audience` in het configuratiebestand
err-over-refused-unseen = de gateway antwoordt alsof er geen token aankwam (zijn challenge noemt geen fout), zelfs met een dat de identiteitsprovider net gaf: iets tussen deze machine en de gateway (een proxy, een load balancer) laat misschien de Authorization-header vallen, of de gateway neemt geen enkel token van deze provider. Vraag wie het netwerk en de gateway beheert; ligt het aan het token, geef dan de audience die de gateway verwacht met --audience of `audience` in het configuratiebestand
err-over-no-token-address = de bewaarde login heeft geen bruikbaar tokenadres

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = let op
doctor-mark-failed = fout
doctor-mark-skipped = overgeslagen
# The name of each check, in the order they are shown.
doctor-check-config = Configuratie
doctor-check-device-id = Apparaat-id
doctor-check-gateway = Gateway-adres
doctor-check-dns = Naamresolutie
doctor-check-proxy = Proxy
doctor-check-tcp = TCP-verbinding
doctor-check-tls = TLS
doctor-check-client-cert = Clientcertificaat
doctor-check-token = Token
doctor-check-clock = Klok
doctor-check-first-list = Eerste lijst
doctor-check-refresh = Herladen op stepsID
doctor-check-next-step = Volgende stap
doctor-check-status-filter = Statusfilter
doctor-check-error-body = Foutantwoord
doctor-check-events = Live-events
doctor-check-guidance = Klantpagina's
doctor-summary = { $failed ->
        [one] { $failed } fout
       *[other] { $failed } fouten
    }, { $warnings ->
        [one] { $warnings } waarschuwing
       *[other] { $warnings } waarschuwingen
    }, { $ok } ok, { $skipped } overgeslagen
doctor-target-unusable = (instellingen onbruikbaar)
doctor-target-embedded = de ingebouwde simulator
doctor-skip = niet uitgevoerd
doctor-skip-settings = niet uitgevoerd: de instellingen zijn onbruikbaar
doctor-skip-no-gateway = niet uitgevoerd: geen gateway
doctor-skip-bad-address = niet uitgevoerd: geen bruikbaar gateway-adres
doctor-skip-unreachable = niet uitgevoerd: de gateway is niet bereikbaar
doctor-skip-proxy = niet uitgevoerd: geen doorgang via de proxy
doctor-skip-insecure = niet uitgevoerd: geen beveiligde verbinding met de gateway
doctor-skip-ca-file = niet uitgevoerd: het CA-bestand is onbruikbaar
doctor-skip-run-limit = niet uitgevoerd: de limiet van { $limit } s voor de hele doctor-run was bereikt (zijn traagste antwoord tot nu toe duurde { $secs } s)
doctor-config-no-dir = geen configuratiemap op dit systeem: de standaardwaarden gelden
doctor-config-none = geen bestand op { $path }: de standaardwaarden gelden
doctor-device-kept = bewaard in { $path }
doctor-device-no-folder = niet bewaard: op deze machine is geen datamap bekend, dus elke run is een nieuw apparaat voor de gateway
doctor-config-read = { $path } gelezen
doctor-config-fix = Verbeter het bestand, of laat STEPWISE_CONFIG naar een ander bestand wijzen
doctor-gateway-no-sim = geen gateway ingesteld, en de ingebouwde simulator start niet: { $error }
doctor-gateway-unusable = { $address } is onbruikbaar: { $why }
doctor-gateway-fix = Geef --api op als https://gateway.example of http://127.0.0.1:8080
doctor-gateway-fix-env = Verbeter STEPWISE_API, waar dit adres vandaan kwam (of geef --api, dat voorgaat), als https://gateway.example of http://127.0.0.1:8080
doctor-gateway-fix-config = Verbeter `api` in het configuratiebestand, waar dit adres vandaan kwam (of geef --api, dat voorgaat), als https://gateway.example of http://127.0.0.1:8080
doctor-gateway-embedded = geen ingesteld: de ingebouwde simulator op { $url }
doctor-gateway-from-env = { $url } (uit STEPWISE_API)
doctor-gateway-from-config = { $url } (uit `api` in het configuratiebestand)
doctor-url-scheme = alleen http en https worden ondersteund
doctor-url-no-host = er staat geen host in
doctor-proxy-none = geen: directe verbinding
doctor-proxy-no-proxy = NO_PROXY slaat de proxy over voor { $host }: directe verbinding
doctor-proxy-other-scheme = geen voor { $scheme }://-gateways: { $var } is ingesteld, maar geldt alleen voor gateways van het andere schema; directe verbinding. Moet deze gateway via die proxy, stel dan { $wanted } (of ALL_PROXY) in
doctor-proxy-used = { $proxy } (uit { $from })
doctor-proxy-407 = { $proxy } beantwoordde de gatewayaanroep met 407 Proxy Authentication Required: hij wil een gebruikersnaam en wachtwoord
doctor-proxy-407-refused = { $proxy } beantwoordde de gatewayaanroep met 407 Proxy Authentication Required: hij weigerde de gebruikersnaam en het wachtwoord uit de proxyvariabele
doctor-proxy-401 = { $proxy } beantwoordde de gatewayaanroep met HTTP 401 en een aanmelding (Basic): die van de proxy zelf, of die van een webserver erachter
doctor-proxy-401-refused = { $proxy } beantwoordde de gatewayaanroep met HTTP 401 en een aanmelding (Basic) hoewel de proxyvariabele een gebruikersnaam en wachtwoord bevat
doctor-proxy-answered = { $proxy } beantwoordde de gatewayaanroep zelf met HTTP { $status }: het verzoek heeft de gateway nooit bereikt
doctor-proxy-401-page = de aanroep van de gateway via { $proxy } kreeg een HTTP 401-webpagina zonder challenge: die van de proxy zelf, of een die hij doorgaf van voor de gateway (een portaal, een reverse proxy), die een eigen aanmelding wil
doctor-proxy-bare-401 = de gateway-aanroep via { $proxy } kreeg een kale HTTP 401, zonder body en zonder challenge: hieronder beoordeeld als die van de gateway (een token), al kan de proxy hem zelf hebben gegeven
doctor-proxy-gateway-down = { $proxy } nam de gatewayaanroep aan en antwoordde HTTP { $status }: hij kon de gateway niet bereiken, die niet draait (zie Foutantwoord)
doctor-proxy-tunnel = { $proxy } (uit { $from }) { $why }
doctor-tunnel-timeout = antwoordde niet op CONNECT binnen { $secs } s
doctor-tunnel-broken = brak het CONNECT-verzoek af: { $error }
doctor-tunnel-refused = weigerde de tunnel: { $status }
doctor-tunnel-limited = beantwoordde CONNECT zelf met { $status }: de proxy beperkt de verzoeken (geen regel tegen deze bestemming)
doctor-tunnel-none = antwoordde { $status } op CONNECT: het opent helemaal geen tunnels, dus het is een webserver, of een proxy die https:// niet kan doorgeven. De gateway is niet gevraagd
doctor-tunnel-not-http = antwoordde op CONNECT zonder HTTP ({ $said }): de proxyvariabele noemt iets dat geen HTTP-proxy is
doctor-tunnel-closed = sloot de verbinding zonder CONNECT te beantwoorden: of hij de tunnel zou doorlaten is niet bekend. Probeer opnieuw; blijft het zo, vraag de beheerder van de proxy of hij CONNECT naar deze host doorlaat
doctor-tunnel-unreached = kon de gateway niet bereiken via de tunnel: { $status }
doctor-tunnel-password-wanted = wil een gebruikersnaam en wachtwoord voor de tunnel ({ $status }): zet ze in de proxyvariabele als http://gebruiker:wachtwoord@proxy:poort
doctor-tunnel-password-refused = weigerde de gebruikersnaam en het wachtwoord uit de proxyvariabele ({ $status }): controleer ze
doctor-tunnel-portal = beantwoordde de tunnel met { $status } zonder challenge: een eigen aanmelding (die van een portaal), die geen gebruikersnaam en wachtwoord in de proxyvariabele beantwoordt. Meld je daar aan in een browser op deze machine, of vraag wie de proxy beheert
doctor-tunnel-windows = vraagt om Windows-aanmelding voor de tunnel ({ $status }, Negotiate of NTLM), die stepwise niet kan geven: geen gebruikersnaam en wachtwoord in de proxyvariabele beantwoordt die. Vraag wie de proxy beheert deze host zonder die door te laten, of zet er NO_PROXY voor als hij direct bereikbaar is
doctor-fix-proxy = Controleer de proxyvariabele, of zet deze host in NO_PROXY
doctor-fix-tunnel-refused = De proxyvariabele klopt: de proxy antwoordde en weigert deze bestemming. Vraag wie de proxy beheert CONNECT naar { $host } door te laten, of stel NO_PROXY={ $host } in als de gateway direct bereikbaar is
doctor-fix-tunnel-none = Controleer { $from }: het moet een HTTP-proxy noemen die https tunnelt (host en poort; vaak poort 3128 of 8080)
doctor-fix-tunnel-retry = Probeer het opnieuw; blijft het zo, vraag het aan wie de proxy beheert, of stel NO_PROXY={ $host } in als de gateway direct bereikbaar is
doctor-fix-tunnel-unreached = De proxy kon { $host } niet bereiken: controleer dat de gateway draait en dat de host in --api klopt; zo ja, vraag wie de proxy beheert
doctor-dns-address = { $ip } is een adres: niets op te zoeken
doctor-dns-address-proxy = de proxy { $ip } is een adres: niets op te zoeken (de proxy zoekt de naam van de gateway op)
doctor-dns-resolved-proxy = de proxy { $host } → { $addrs } (de proxy zoekt de naam van de gateway zelf op)
doctor-dns-failed = kan { $host } niet opzoeken: { $error }
doctor-dns-failed-proxy = kan de proxy { $host } niet opzoeken: { $error }
doctor-dns-fix = Controleer de hostnaam in --api (of in de proxyvariabele) en de DNS-instellingen van deze computer
doctor-dns-fix-proxy = Controleer de naam van de proxy in de proxyvariabele en de DNS-instellingen van deze machine, of zet NO_PROXY voor de host van de gateway als die zonder de proxy bereikbaar is
doctor-proxy-unresolved = { $proxy } (uit { $from }): zijn naam is onbekend bij de DNS van deze machine
doctor-dns-timeout = geen antwoord voor { $host } binnen { $secs } s
doctor-dns-timeout-proxy = geen antwoord voor de proxy { $host } binnen { $secs } s
doctor-dns-timeout-fix = Controleer de DNS-instellingen van deze computer
doctor-tcp-no-address = geen adres
doctor-tcp-timeout = { $addr }: geen antwoord binnen { $secs } s
doctor-tcp-failed = kan niet verbinden met de gateway: { $error }
doctor-tcp-failed-proxy = kan niet verbinden met de proxy: { $error }
doctor-tcp-fix = Controleer of de gateway draait, de poort in --api en een eventuele firewall
doctor-tcp-connected = verbonden met { $addr } in { $ms } ms
doctor-tcp-connected-proxy = verbonden met de proxy op { $addr } in { $ms } ms
doctor-tls-plain = niet gebruikt: het adres is gewoon http://
doctor-tls-skipped-cert = niet geprobeerd: het clientcertificaat is onbruikbaar
doctor-tls-bad-name = { $host } is geen bruikbare TLS-naam
doctor-tls-certificate = certificaat
doctor-tls-issued = certificaat voor { $subject }, uitgegeven door { $issuer }
doctor-tls-timeout = geen TLS-handshake binnen { $secs } s
doctor-tls-timeout-fix = Controleer of de poort in --api TLS spreekt; zo ja, laat het de beheerder van de gateway weten
doctor-tls-trusted = { $version }; { $issued }; vertrouwd
doctor-tls-trusted-left = { $version }; { $issued }, nog { $days ->
        [one] { $days } dag
       *[other] { $days } dagen
    } geldig; vertrouwd
doctor-tls-ends-soon = Laat de beheerder van de gateway weten dat zijn certificaat binnenkort verloopt
doctor-tls-asks-cert = { $issued }; vertrouwd; de gateway vraagt om een clientcertificaat
doctor-tls-unknown-issuer = { $issued }: de uitgever wordt hier niet vertrouwd (onbekende uitgever)
doctor-tls-unknown-issuer-proxy = { $issued }: de uitgever wordt hier niet vertrouwd (onbekende uitgever) (via de proxy { $proxy }, die TLS mogelijk openbreekt)
doctor-tls-add-ca-file = Voeg --ca-file { $path } toe
doctor-tls-add-ca-of = Voeg --ca-file BESTAND toe, met als BESTAND het certificaat (PEM) van { $issuer }; vraag het aan de netwerkbeheerder
doctor-tls-add-ca = Voeg --ca-file BESTAND toe met het certificaat (PEM) van de uitgevende instantie
doctor-tls-use-ca-file = Gebruik --ca-file { $path }: het gebruikte autoriteitsbestand ({ $given }) heeft dit certificaat niet ondertekend
doctor-tls-ca-file-not-issuer = Het gebruikte autoriteitsbestand ({ $given }) heeft dit certificaat niet ondertekend: het bevat misschien een servercertificaat in plaats van de autoriteit, of een sindsdien opnieuw gemaakte autoriteit. Vraag de beheerder van de gateway het huidige certificaat van de autoriteit (PEM)
doctor-tls-intermediate-missing = Het gebruikte instantiebestand ({ $given }) bevat { $issuer } niet, dat dit certificaat ondertekende, en de gateway stuurde er geen tussenliggende instantie mee. Of de gateway stuurt zijn tussenliggende instantie niet: vraag de beheerder de volledige keten te serveren (certificaat, dan tussenliggende); intussen werkt het om het certificaat van { $issuer } aan het bestand toe te voegen. Of het bestand bevat een andere instantie: vraag het certificaat van de instantie van de gateway (PEM) aan de beheerder
doctor-tls-expired = { $issued }: verlopen
doctor-tls-expired-ago = { $issued }: { $days ->
        [one] { $days } dag
       *[other] { $days } dagen
    } geleden verlopen
doctor-fix-date-operator = Controleer de datum van deze computer; klopt die, laat het de beheerder van de gateway weten
doctor-tls-not-yet = { $issued }: nog niet geldig
doctor-fix-date = Controleer datum en tijd van deze computer
doctor-tls-wrong-host = { $issued }: niet gemaakt voor de host in --api
doctor-tls-wrong-host-fix = Gebruik in --api de hostnaam of het adres waarvoor het certificaat gemaakt is
doctor-tls-wrong-host-names = { $issued }: gemaakt voor { $names }, niet voor de host in --api
doctor-tls-wrong-host-names-fix = Gebruik in --api een naam waarvoor het certificaat gemaakt is ({ $names }), of laat het certificaat van de gateway maken voor de naam die u gebruikt
doctor-tls-no-host-names = { $issued }: het noemt geen host (geen subject alternative name; alleen een common name wordt niet gelezen)
doctor-tls-no-host-names-fix = Laat het certificaat van de gateway opnieuw uitgeven met zijn hostnaam als subject alternative name; geen --api lost dit op
doctor-tls-old-version = { $issued }: een X.509-certificaat versie 1, dat TLS niet meer aanneemt
doctor-tls-old-version-fix = Laat het certificaat van de gateway opnieuw uitgeven als versie 3, met zijn hostnaam als alternatieve onderwerpnaam; geen --api, --ca-file of clientcertificaat kan dit verhelpen
doctor-tls-closed = de server nam de verbinding aan en sloot die tijdens de TLS-handshake: misschien spreekt hij op deze poort geen TLS, of weigert hij deze client. Controleer de poort in --api
doctor-tls-authority-as-server = { $issued }: certificaat van een autoriteit (CA:TRUE) gebruikt als servercertificaat
doctor-tls-authority-as-server-fix = Vraag de beheerder van de gateway een servercertificaat te gebruiken dat door die autoriteit is ondertekend; bewaar het certificaat van de autoriteit voor --ca-file
doctor-tls-not-tls = wat antwoordde spreekt geen TLS
doctor-tls-not-tls-fix = Controleer de poort, of gebruik http:// als de gateway geen TLS heeft
doctor-tls-refused = de gateway weigerde de handshake ({ $alert })
doctor-tls-refused-fix = Controleer --api; klopt het, laat het de beheerder van de gateway weten
doctor-tls-wants-cert = de gateway vraagt om een clientcertificaat
doctor-fix-client-cert = Geef er een met --client-cert BESTAND --client-key BESTAND
doctor-tls-other = mislukt: { $error }
doctor-tls-other-fix = Controleer --api, --ca-file en het clientcertificaat
doctor-tls-proxy-cut = de proxy { $proxy } opende de tunnel naar { $host }, daarna brak de TLS-handshake erdoorheen af ({ $why }): de proxy, of wat erachter zit, verbrak hem
doctor-tls-proxy-cut-fix = Vraag wie de proxy beheert of hij TLS naar deze host doorlaat, of zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is
doctor-cert-required = geen opgegeven, en de gateway eist er een
doctor-cert-fix-config = Geef er een met --client-cert BESTAND --client-key BESTAND (of client_cert/client_key in het configuratiebestand)
doctor-cert-not-asked = geen opgegeven; de gateway vroeg er niet om
doctor-cert-none = geen opgegeven
doctor-cert-none-plain = geen opgegeven (gewoon http://)
doctor-cert-unusable-plain = niet getoond bij gewoon http://, maar aan een https://-gateway kan het niet worden getoond: { $why }
doctor-cert-about = { $path }: { $subject }, uitgegeven door { $issuer }
doctor-cert-refused = { $about }: de gateway weigerde het ({ $alert })
doctor-cert-unsupported = { $about }: de gateway weigerde het als niet ondersteund; meestal is het niet voor een client gemaakt (het certificaat van een server)
doctor-cert-fix-client-use = Gebruik een certificaat dat voor clientauthenticatie is uitgegeven
doctor-cert-expired-said = { $about }: volgens de gateway verlopen
doctor-cert-not-taken = { $about }: de gateway nam het niet aan
doctor-cert-fix-authority = Gebruik een certificaat van de instantie die de gateway vertrouwt
doctor-cert-expired = { $about }: { $days ->
        [one] { $days } dag
       *[other] { $days } dagen
    } geleden verlopen
doctor-cert-fix-new = Vraag een nieuw clientcertificaat aan
doctor-cert-not-yet = { $about }: nog niet geldig
doctor-cert-ends-soon = { $about }: nog { $days ->
        [one] { $days } dag
       *[other] { $days } dagen
    } geldig
doctor-cert-fix-soon = Vraag binnenkort een nieuw clientcertificaat aan
doctor-cert-ok-left = { $about }; sleutel past; nog { $days ->
        [one] { $days } dag
       *[other] { $days } dagen
    } geldig
doctor-cert-ok = { $about }; sleutel past
doctor-source-config-token = het token uit het configuratiebestand
doctor-source-config-token-file = de token_file uit het configuratiebestand { $path }
doctor-source-nowhere = nergens
doctor-token-wanted = geen opgegeven, en de gateway wil er een
doctor-token-wanted-said = geen opgegeven, en de gateway wil er een (HTTP 401), met de woorden “{ $said }”
doctor-token-fix-give = Log in met `stepwise login`, of geef een token op met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
doctor-token-fix-fixed = Hij biedt geen aanmelding: zijn token komt van wie hem beheert. Bewaar dat token met `stepwise login --with-token`, of geef het met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
doctor-token-embedded = niet nodig voor de ingebouwde simulator
doctor-token-not-asked = geen opgegeven; de gateway vroeg er niet om
doctor-token-not-checked = niet opgegeven; niet gecontroleerd: geen stappengateway antwoordde
doctor-token-not-checked-unusable = niet opgegeven; niet gecontroleerd: wat antwoordde was niet bruikbaar (de regel Eerste lijst zegt hoe)
doctor-token-none-limited = niet opgegeven; niet gecontroleerd: verzoeken worden beperkt (HTTP 429)
doctor-token-none-failing = niet opgegeven; niet gecontroleerd: de antwoorden waren fouten (HTTP 5xx)
doctor-fix-proxy-password = De proxy wil een gebruikersnaam en wachtwoord: zet ze in de proxyvariabele (http://gebruiker:wachtwoord@proxy:poort)
doctor-fix-proxy-password-refused = De proxy weigerde de gebruikersnaam en het wachtwoord in de proxyvariabele: controleer ze (tekens als @ : / % erin moeten procent-gecodeerd zijn)
doctor-fix-not-a-gateway = Dit adres is geen steps-gateway: geef --api de basis-URL waaronder pims/subscription/steps staat
doctor-fix-client-cert-front = De TLS-voorkant van de gateway wil een clientcertificaat: geef er een met --client-cert BESTAND --client-key BESTAND
doctor-fix-gateway-failed = De gateway faalt: probeer over een minuut opnieuw; blijft het, laat het de beheerder van de gateway weten
doctor-fix-call-not-offered = De lijst werkt op deze --api: de gateway biedt deze aanroep niet aan, of iets ervoor stuurt hem niet door. Meld het aan de beheerder van de gateway
doctor-fix-proxy-5xx = De proxy antwoordde met een eigen foutpagina: hij kon de gateway niet bereiken. Controleer host en poort in --api en of de gateway draait; kloppen die, vraag het dan aan wie de proxy beheert
doctor-fix-proxy-loopback = De gateway staat op deze machine ({ $host }), en { $from } stuurt zijn verzoeken naar die proxy: die (of een proxy waarnaar hij doorstuurt) bereikt de eigen adressen van deze machine niet. Zet NO_PROXY={ $host }
doctor-fix-loopback-down = Niets luistert op { $host }:{ $port } op deze machine (rechtstreeks geprobeerd): de gateway draait daar niet, dus ook de proxy kon hem niet bereiken. Controleer of hij draait en of de poort in --api klopt
doctor-guidance-not-a-page = antwoordde 200 met { $kind } en zonder taal: geen instructiepagina (de vangnetpagina van een portaal?), dus de QR-code leidt naar docs_base_url, of naar de gearchiveerde ontwikkelaarspagina's
doctor-token-embedded-given = bron: { $source }; niet verstuurd naar de ingebouwde simulator
doctor-token-expired = bron: { $source }; { $ago } geleden verlopen
doctor-token-fix-new = Vraag een nieuw token aan
doctor-token-login-unreadable = geen verstuurd: { $why }
doctor-token-fix-login-damaged = Zodra het opzij is gezet, opnieuw inloggen met `stepwise login`, of geef een token met --token-file PAD, STEPWISE_TOKEN of `token` in het configuratiebestand
doctor-token-login-unreadable-unneeded = geen verstuurd, en de gateway antwoordde zonder token. Bewaarde login: { $why }
doctor-token-expired-taken = uit { $source }; volgens de vervaltijd is het { $ago } geleden verlopen, maar de gateway nam het aan
doctor-token-fix-new-soon = Vraag een nieuw token aan voordat de gateway dit weigert
doctor-token-refused = bron: { $source }; de gateway weigerde het (HTTP 401)
doctor-token-dropped = bron: { $source }; de gateway antwoordt alsof er geen token aankwam (zijn challenge noemt geen fout), en het verzoek ging via de proxy { $proxy }: de proxy haalt misschien de Authorization-header weg
doctor-token-refused-said = bron: { $source }; de gateway weigerde het (HTTP 401) met de woorden "{ $said }"
doctor-token-scope = bron: { $source }; de gateway nam het aan, maar zegt dat er een scope ontbreekt (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Vraag een nieuw token aan, of controleer of het voor deze gateway bedoeld is
doctor-token-fix-dropped = Een nieuw token zou net zo geweigerd worden: zet NO_PROXY voor deze host als de gateway zonder de proxy bereikbaar is, of vraag de beheerder van de proxy de Authorization-header door te laten
doctor-token-fix-beside-file = Een aanmelding die voor deze gateway bewaard is, wordt door hem aangenomen (zojuist geprobeerd), en --token-file gaat erop voor: laat --token-file weg om die aanmelding te gebruiken, of zet het huidige token van deze gateway in dat bestand
doctor-token-fix-beside-environment = Een aanmelding die voor deze gateway bewaard is, wordt door hem aangenomen (zojuist geprobeerd), en STEPWISE_TOKEN gaat erop voor: verwijder STEPWISE_TOKEN om die aanmelding te gebruiken, of zet hem op het huidige token van deze gateway
doctor-token-fix-beside-refused = De aanmelding die voor deze gateway bewaard is, wordt ook geweigerd (zojuist geprobeerd): vraag het huidige token van deze gateway en vernieuw de bewaarde aanmelding (`stepwise login`, of `stepwise login --with-token` waar de gateway geen aanmelding biedt)
doctor-token-expires = bron: { $source }; verloopt over { $within }
doctor-token-not-tried = bron: { $source }; niet geprobeerd (de gateway werd niet bereikt)
doctor-token-not-tried-unusable = bron: { $source }; niet beoordeeld: wat antwoordde was niet bruikbaar (de regel Eerste lijst zegt hoe)
doctor-token-failing = bron: { $source }; niet beoordeeld: elk antwoord was een fout (HTTP 5xx), die niets over het token zegt
doctor-token-limited = bron: { $source }; niet geprobeerd: verzoeken worden beperkt (HTTP 429)
doctor-token-took = bron: { $source }; de gateway nam het aan (de vervaldatum staat er niet in)
doctor-token-unchecked = bron: { $source }; verzonden, maar de gateway antwoordt ook zonder token: hij controleert er hier geen, dus hij heeft dit token niet aangenomen en niet geweigerd
doctor-token-renewed = bron: { $source }; de gateway weigerde het bewaarde token (HTTP 401) en nam het vernieuwde aan, zoals elke opdracht het vernieuwt
doctor-token-renewal-failed = bron: { $source }; de gateway weigerde het (HTTP 401), en het vernieuwen, zoals elke opdracht zou doen, mislukte: { $why }
doctor-token-due-renewal-failed = bron: { $source }; het token was verlopen, en het vernieuwen, zoals elke opdracht zou doen, mislukte: { $why }
doctor-why-timeout = geen antwoord binnen { $secs } s
doctor-http-setup = kan HTTP niet opzetten: { $error }
doctor-no-answer = geen bruikbaar antwoord: { $why }
doctor-not-a-list = het antwoord is geen stappenlijst: { $error }
doctor-not-a-step = het antwoord is geen stap: { $error }
doctor-fix-steps-gateway = Controleer of --api naar een stappengateway wijst
doctor-fix-not-a-list-here = --api antwoordt als een stappengateway (de regel Foutantwoord): zijn antwoord voor deze carAssociationID is wat er mis is. Laat het de beheerder van de gateway weten; doctor met de id van een ander voertuig laat zien of andere hun lijst krijgen
doctor-fix-proxy-html = Het antwoord kwam via de proxy: de pagina kan de eigen pagina van de proxy zijn (een aanmeld- of portaalpagina). Zet NO_PROXY={ $host } als de gateway zonder de proxy bereikbaar is; controleer anders of --api naar een stappengateway wijst
doctor-list-cut = de lijst is afgebroken: { $error }
doctor-fix-cut = Probeer opnieuw; blijft het afgebroken, dan kapt de gateway of iets onderweg (een proxy) zijn antwoorden af: meld het aan de beheerder van de gateway
doctor-fix-no-answer = Probeer opnieuw; blijft het zo, dan laat de gateway of iets ervoor (een proxy, een load balancer) deze oproep vallen: meld het de beheerder van de gateway
doctor-fix-unusable = Er kwam een antwoord, maar geen dat stepwise kan gebruiken, en opnieuw vragen geeft hetzelfde: doe wat de woorden hierboven zeggen
doctor-fix-network-proxy = Een proxy van dit netwerk antwoordde, hoewel hier geen is ingesteld: zet HTTPS_PROXY (HTTP_PROXY voor http://) op http://gebruiker:wachtwoord@proxy:poort met zijn adres, of vraag het de netwerkbeheerder
doctor-fix-limited = De gateway beperkt verzoeken: wacht een minuut en voer doctor dan opnieuw uit
doctor-fix-wait = De gateway vraagt { $secs } s te wachten: voer doctor daarna opnieuw uit; blijft het zo, meld het dan de beheerder van de gateway
doctor-fix-refused-front = Iets vóór de gateway (een firewall, een WAF of een reverse proxy) weigerde het verzoek: vraag de beheerder ervan deze computer door te laten
doctor-fix-refused-proxy = De proxy, of iets vóór de gateway, weigerde het verzoek: vraag wie de proxy beheert of hij dit adres doorlaat, of zet NO_PROXY voor deze host als de gateway zonder de proxy bereikbaar is
doctor-fix-proxy-bare-401 = Geef eerst het token van de gateway (zie de regel Token); blijft de 401 met een token, vraag dan wie de proxy beheert of die een eigen aanmelding wil, of zet NO_PROXY={ $host } als de gateway direct bereikbaar is
doctor-error-body-no-answer = geen bruikbaar antwoord van de gateway: { $why }
doctor-error-body-no-answer-fix = Controleer of de gateway draait en niet overbelast is en probeer het opnieuw
doctor-error-body-dropped = een verzoek zonder id kreeg geen antwoord ({ $why }) waar een gateway 400 met een JSON-melding antwoordt; de eerste lijst is toch op carAssociationID gevraagd
doctor-why-wants-tls = de server op { $base } spreekt TLS, en --api zegt http://
doctor-fix-use-https = Gebruik https:// in --api (de server spreekt TLS)
doctor-clock-skipped = niet uitgevoerd: geen stappengateway antwoordde
doctor-clock-unusable = niet uitgevoerd: wat antwoordde was niet bruikbaar (de regel Eerste lijst zegt hoe)
doctor-clock-limited = niet uitgevoerd: verzoeken worden beperkt (HTTP 429); voer doctor na het wachten opnieuw uit
doctor-clock-failed = niet uitgevoerd: het antwoord was een fout (HTTP { $status }), zonder lijst of foutantwoord van de gateway om de klok van af te lezen
doctor-error-body-ok = een verzoek zonder id krijgt 400 met een JSON-melding ({ $message })
doctor-error-body-other-shape = een verzoek zonder id krijgt 400 met een JSON-melding in een andere gangbare vorm (RFC 7807 of OAuth), die stepwise leest ({ $message })
doctor-error-body-code-only = alleen code
doctor-error-body-not-json = een verzoek zonder id krijgt 400, maar geen JSON-inhoud { $shape }
doctor-fix-error-json = Laat de beheerder van de gateway weten: foutantwoorden horen JSON te zijn
doctor-fix-error-400 = Meld het aan de beheerder van de gateway: een verzoek zonder id hoort 400 met de foutinhoud te krijgen. Alleen als de regel Eerste lijst ook mislukte, controleer dan of --api naar een stappengateway wijst
doctor-fix-error-400-no-car = Dit is misschien helemaal geen stappengateway: voer opnieuw uit met --car ID. Lukt de regel Eerste lijst dan wel, meld de beheerder van de gateway dat een verzoek zonder id 400 hoort te krijgen; zo niet, controleer dan of --api naar een stappengateway wijst
doctor-error-body-401 = niet gecontroleerd: de gateway wil eerst een geldig token (HTTP 401)
doctor-error-body-unjudged = niet beoordeeld: ook de eerste lijst vond op dit adres geen stappengateway
doctor-error-body-unjudged-failed = niet beoordeeld: ook de eerste lijst kreeg geen antwoord
doctor-error-body-unjudged-unusable = niet beoordeeld: ook het antwoord op de eerste lijst was niet bruikbaar
doctor-error-body-proxy = niet beoordeeld: de proxy antwoordde in plaats van de gateway
doctor-error-body-gateway-down = niet beoordeeld: de gateway draait niet op { $host }:{ $port } (daar luistert niets, direct geprobeerd)
doctor-error-body-limited = niet beoordeeld: verzoeken worden beperkt (HTTP 429)
doctor-error-body-other = een verzoek zonder id krijgt { $answer } in plaats van 400
doctor-error-body-failing = niet beoordeeld: een verzoek zonder id krijgt { $answer }, een fout die niets zegt over hoe de gateway een fout verzoek beantwoordt
doctor-first-no-car = niet geprobeerd: geen carAssociationID opgegeven
doctor-first-no-car-fix = Voer opnieuw uit met --car ID om de stappenaanroepen te proberen
doctor-first-401 = HTTP 401: de gateway wil een geldig token
doctor-first-proxy-login = HTTP 401 met een aanmelding (Basic) van de proxy, niet van de gateway: het verzoek bereikte de gateway nooit
doctor-first-proxy-page = HTTP 401 met een webpagina zonder challenge, via de proxy: die van de proxy zelf, of een die hij doorgaf van voor de gateway (een portaal, een reverse proxy), geen tokenverzoek van een gateway
doctor-first-proxy-page-401 = HTTP 401 met een webpagina zonder foutbody van een gateway, via de proxy: die van de proxy zelf, of een die hij doorgaf van voor de gateway (een portaal, een reverse proxy)
doctor-basic-prompt = HTTP 401 die vraagt om een aanmelding waarop een bearer-token geen antwoord kan geven (gebruikersnaam en wachtwoord, of Windows-aanmelding), zonder de foutinhoud van een gateway: de aanmelding van een webserver of reverse proxy, geen stappengateway (die een bearer-token neemt)
doctor-front-401 = HTTP 401 met een webpagina en zonder aanmeldingschallenge (geen WWW-Authenticate-header), zonder foutbody van een gateway: iets vóór de gateway (een reverse proxy, een webserver of een portaal) vraagt om een eigen aanmelding; er is geen token beoordeeld
doctor-fix-front-401 = Kwamen er eerder lijsten van dit adres zonder token, dan ontbreekt er geen gatewaytoken: vraag wie het netwerk of de gateway beheert wat om deze aanmelding vraagt; anders, vraag hun of de gateway daar een token wil
doctor-see-token = Zie de regel Token
doctor-see-proxy = Zie de regel Proxy
doctor-first-fix-car = Controleer de carAssociationID die met --car is opgegeven
doctor-first-fix-demo = Er is geen gateway ingesteld (geen --api, STEPWISE_API of `api` in het configuratiebestand), dus controleerde doctor de ingebouwde demo, die alleen { $ids } kent: geef --api URL om uw gateway te controleren
doctor-first-fix-filter = De woorden van de gateway noemen het statusfilter (stepsStatus), dat doctor niet koos: het vroeg om alle stappen met stepsStatus=all, de standaard van het contract (steps en de wizard vragen dan zonder). Meld het aan de beheerder van de gateway
doctor-first-fix-car-or-api = Zijn woorden noemen geen id: controleer de carAssociationID die met --car is gegeven; krijgt de regel Foutantwoord hetzelfde 404 voor een aanroep zonder id, dan wijst --api niet naar de stappengateway (de eigen 404 van een router): controleer --api
doctor-first-no-steps-id = { $count ->
        [one] { $count } stap
       *[other] { $count } stappen
    } maar geen stepsID
doctor-first-fix-steps-id = Laat de beheerder van de gateway weten: de lijst moet een stepsID bevatten
doctor-first-ok = carAssociationID { $car }: { $count ->
        [one] { $count } stap
       *[other] { $count } stappen
    } ({ $done } afgerond), stepsID { $steps_id }
doctor-first-slow = De gateway deed er tot { $secs } s over om te antwoorden: traag, maar binnen de { $limit } s die de wizard wacht (een drukke gateway, of een trage lijn)
doctor-refresh-ok = { $count ->
        [one] { $count } stap
       *[other] { $count } stappen
    }
doctor-refresh-fix = De herladen lijst noemt andere stappen dan de eerste: laat het de beheerder van de gateway weten
doctor-next-todo = { $name } te doen
doctor-next-none = niets meer te doen
doctor-next-nothing = niets
doctor-next-disagrees = { $got }, maar volgens de lijst: { $listed }
doctor-next-fix = Laat de beheerder van de gateway weten: de volgende stap spreekt de lijst tegen
doctor-filter-ok = stepsStatus=todo geeft { $todo ->
        [one] de ene stap die nog moet
       *[other] de { $todo } stappen die nog moeten
    }
doctor-filter-bad = stepsStatus=todo geeft { $count ->
        [one] { $count } stap
       *[other] { $count } stappen
    } ({ $stray } niet te doen); de lijst heeft er { $todo } te doen
doctor-filter-unknown = { $bad }; plus { $unknown } met een status buiten het contract, die stepwise als niet gedaan telt
doctor-filter-fix = Laat de beheerder van de gateway weten: stepsStatus wordt niet toegepast
doctor-events-ok = aangeboden, en het eerste event (de huidige lijst) kwam meteen: de wizard volgt wijzigingen live
doctor-events-silent = de stream ging open, maar binnen { $secs } s kwam geen event, hoewel een gateway de huidige lijst meteen stuurt: iets onderweg (een proxy) houdt events tegen. De wizard maakt opnieuw verbinding en vraagt daarna periodiek
doctor-events-other-type = de stream ging open en stuurde gebeurtenissen van het type ‘{ $kind }’, maar binnen { $secs } s geen van het type steps: de lijsten komen onder een ander gebeurtenistype dan dat van het contract, en de wizard leest er geen. De wizard maakt opnieuw verbinding en vraagt dan periodiek op
doctor-events-no-list-events = de stream ging open en stuurde alleen gebeurtenissen van het type ‘{ $kind }’, zonder lijst erin, en binnen { $secs } s geen lijst, hoewel een gateway de huidige lijst meteen stuurt. De wizard maakt opnieuw verbinding en vraagt dan periodiek op
doctor-events-fix-other-type = Meld de beheerder van de gateway: elke lijst moet als `event: steps` (of zonder event-regel) komen, niet als ‘{ $kind }’
doctor-events-cut = de stroom sloot voordat zijn eerste gebeurtenis compleet was (na { $bytes } bytes): de gateway brak hem af, dus de wizard verbindt opnieuw en vraagt dan op
doctor-events-empty = de gebeurtenissenaanroep antwoordde en eindigde zonder iets te sturen (0 bytes): hij levert geen gebeurtenissenstroom, dus de wizard verbindt opnieuw en vraagt dan periodiek op
doctor-events-not-text = de bytes van de stroom zijn geen UTF-8-tekst: de wizard breekt hem af, verbindt opnieuw en vraagt dan op
doctor-events-error-event = de eerste gebeurtenis is een fout, niet de huidige lijst: { $said }
doctor-events-fix-buffered = Vraag de beheerder van de proxy text/event-stream ongebufferd door te laten (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = Hier is geen proxy in gebruik: meld de beheerder van de gateway dat de gateway, of een reverse proxy ervoor, gebeurtenissen tegenhoudt of de huidige lijst niet meteen stuurt (nginx: proxy_buffering off)
doctor-events-other-list = het eerste event is de lijst van een andere stepsID dan gevraagd: de wizard neemt hem niet over
doctor-events-bad-event = het eerste event is geen stappenlijst ({ $error }): de wizard valt terug op periodiek vragen
doctor-events-compressed = de stream kwam gecomprimeerd, hoewel stepwise daar niet om vraagt: de wizard vraagt in plaats daarvan periodiek
doctor-events-fix-compressed = Vraag de beheerder van de gateway (of van de proxy) text/event-stream ongecomprimeerd te sturen
doctor-events-not-stream = antwoordt, maar niet met text/event-stream: de wizard vraagt regelmatig op
doctor-events-page = antwoordde met een webpagina (HTML), niet met text/event-stream: iets voor de gateway (een proxy, een firewall) houdt stromen mogelijk tegen; de wizard vraagt periodiek op
doctor-events-fix = Laat de beheerder van de gateway weten: live-events moeten Server-Sent Events zijn
doctor-events-fix-page = Vraag wie het netwerk voor de gateway beheert (een proxy, een firewall) om text/event-stream door te laten; staat er niets voor, meld het dan aan de beheerder van de gateway
doctor-events-fix-2346 = Laat de beheerder van de gateway weten: zijn gebeurtenissenoproep weigert stepsIDs die zijn lijstoproep beantwoordt
doctor-events-fix-content = Meld het aan de beheerder van de gateway: elke gebeurtenis moet als data de stappenlijst van de gevraagde stepsID dragen
doctor-events-fix-cut = Meld de beheerder van de gateway (of wie een reverse proxy ervoor beheert) dat zijn gebeurtenissenstroom midden in de eerste gebeurtenis wordt gesloten
doctor-events-fix-empty = Meld de beheerder van de gateway (of wie een reverse proxy ervoor beheert) dat de gebeurtenissenaanroep meteen eindigt zonder te streamen: misschien buffert of kapt een proxy hem
doctor-events-fix-error-event = Meld de beheerder van de gateway wat zijn gebeurtenissenstroom zei: een stroom moet beginnen met de huidige lijst van de gevraagde stepsID, die de lijstaanroep net gaf
doctor-events-404 = niet aangeboden (404): de wizard vraagt in plaats daarvan regelmatig op
doctor-events-2346 = geweigerd (404, code 2346): de stream zegt geen stap te hebben voor stepsID { $id }, die de lijstoproep net gaf: de gateway spreekt zichzelf tegen. De assistent vraagt in plaats daarvan periodiek
doctor-events-http = { $answer }: de wizard vraagt in plaats daarvan regelmatig op
doctor-events-limited = { $answer }: de gateway beperkt de stream. De assistent wacht { $secs } s, zoals de gateway vraagt, met elk verzoek eraan, en opent de stream dan opnieuw: de lijst op het scherm wordt intussen niet ververst
doctor-events-limited-unnamed = { $answer }: de gateway beperkt de stream. De assistent wacht zo lang als de gateway vraagt, met elk verzoek eraan, en opent de stream dan opnieuw: de lijst op het scherm wordt intussen niet ververst
doctor-events-no-answer = geen antwoord ({ $why }): de wizard opent de stream opnieuw en wacht telkens langer, en vraagt alleen regelmatig op als er intussen een lijst komt
doctor-events-proxy-held = geen antwoord via de proxy { $proxy }, hoewel de lijstaanroepen erdoor wel beantwoord zijn: de proxy houdt een antwoord vast dat niet eindigt (hij buffert de gebeurtenissenstroom). De wizard vraagt in plaats daarvan periodiek op
doctor-events-proxy-own = de proxy { $proxy } antwoordde zelf HTTP { $status } op de gebeurtenissenstroom, hoewel de lijstoproepen via hem werden beantwoord: de proxy geeft de stroom niet door. De assistent vraagt in plaats daarvan periodiek
doctor-events-fix-proxy-held = Vraag de beheerder van de proxy om text/event-stream ongebufferd door te laten, of zet NO_PROXY={ $host } als de gateway zonder proxy bereikbaar is
doctor-guidance-ok = aangeboden: de QR-code en toets ‘o’ openen de pagina van de gateway in de taal van de klant
doctor-guidance-404 = niet aangeboden (404): de QR-code leidt naar docs_base_url, of naar de gearchiveerde ontwikkelaarspagina's
doctor-guidance-http = { $answer }: de QR-code leidt naar docs_base_url, of naar de gearchiveerde ontwikkelaarspagina's
doctor-guidance-no-answer = geen antwoord ({ $why }): de QR-code leidt naar docs_base_url, of naar de gearchiveerde ontwikkelaarspagina's
doctor-clock-no-date = de gateway stuurt geen Date-header: de klokken zijn niet te vergelijken
doctor-clock-bad-date = de Date-header van de gateway { $date } is onleesbaar
doctor-clock-ahead = de klok van deze computer loopt { $secs } s voor op die van de gateway
doctor-clock-behind = de klok van deze computer loopt { $secs } s achter op die van de gateway
doctor-clock-fix = Controleer datum en tijd van deze machine: kloppen ze, dan loopt de klok van de gateway verkeerd (meld het aan de beheerder); zo niet, zet de klok van deze machine gelijk (NTP): token- en certificaatcontroles hangen ervan af
doctor-clock-fix-gateway = De klok van de gateway loopt verkeerd: zijn datum ({ $date }) ligt vóór het maken van dit programma. Meld het aan de beheerder van de gateway; laat de klok van deze machine zoals hij is
doctor-clock-fix-ours = De klok van deze machine loopt verkeerd: hij geeft een datum vóór het maken van dit programma. Zet hem gelijk (NTP): token- en certificaatcontroles hangen ervan af
doctor-clock-ok = hoogstens { $secs } s verschil met de klok van de gateway

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPTIES]
help-cli-value-file = BESTAND
help-cli-value-path = PAD
help-cli-value-seconds = SECONDEN
help-cli-value-dir = MAP
help-cli-value-mode = MODUS
help-cli-value-status = STATUS
help-cli-value-shell = SHELL
help-cli-value-lang = TAAL
help-cli-value-token = TOKEN
help-cli-value-addr = ADRES
cli-clap-missing-value = '{ $arg }' heeft een waarde nodig, maar er is er geen gegeven
cli-clap-invalid-value = ongeldige waarde '{ $value }' voor '{ $arg }'
cli-clap-possible-values = mogelijke waarden: { $values }
cli-clap-unknown-argument = onverwacht argument '{ $arg }'
cli-arg-token-as-argument = login --with-token leest het token van de standaardinvoer, nooit van de opdrachtregel, waar de geschiedenis van de shell en de proceslijst het bewaren (de gegeven waarde wordt niet getoond): `stepwise login --with-token < token.txt`, of voer `stepwise login --with-token` uit en plak het
cli-clap-unknown-command = onbekende opdracht '{ $name }'
cli-clap-missing-required = deze verplichte argumenten ontbreken: { $args }
cli-clap-only-with = { $given } geldt alleen samen met { $needed }: voeg { $needed } toe, of laat { $given } weg
cli-clap-range = geef een getal van { $low } tot en met { $high }
cli-clap-conflict = het argument '{ $arg }' kan niet samen met { $other } worden gebruikt
cli-clap-repeated = het argument '{ $arg }' mag maar één keer worden gegeven
cli-clap-extra-value = onverwachte waarde '{ $value }' voor '{ $arg }'
cli-clap-needs-command = '{ $name }' heeft een opdracht nodig: { $values }
cli-clap-did-you-mean = bedoelde u '{ $suggestion }'?
cli-no-watch-command = er is geen opdracht watch: volgen is de toets w van de wizard (`stepwise --car ID`, dan w; voor veel voertuigen `stepwise fleet --cars BESTAND`, dan w); een script vraagt opnieuw `stepwise steps --car ID`
cli-clap-try-help = Meer informatie met '--help'.
cli-clap-other = de opdrachtregel is niet te lezen

## The manual page's section headings (stepwise man)

man-section-name = NAAM
man-section-synopsis = SYNOPSIS
man-section-description = BESCHRIJVING
man-section-options = OPTIES
man-section-extra = OPMERKINGEN
man-section-version = VERSIE
man-section-authors = AUTEURS
man-section-environment = OMGEVING
man-env-token = Het bearer-token van de gateway (zonder deze geldt de bewaarde login)
man-env-docs-url = De helppagina's van de dealer, waar de links van de technicusgids heen leiden (docs_base_url in het configuratiebestand)
man-env-token-store = Waar login tokens bewaart: keyring, file of auto (standaard)
man-env-config = Het configuratiebestand dat in plaats van het standaardbestand wordt gelezen (stepwise doctor toont het pad)
man-env-log = Het logfilter, bijv. debug of stepwise=trace (standaard info); logs gaan naar de map logs van de gegevensmap
man-env-no-color = Gezet en niet leeg: geen kleur op het scherm
man-section-files = BESTANDEN
man-section-keys = TOETSEN
man-files-config = Het configuratiebestand (STEPWISE_CONFIG noemt een ander; op macOS en Windows staat het in de map van het systeem, die stepwise doctor toont)
man-files-device-id = De apparaat-id van deze installatie, met elk verzoek meegestuurd
man-files-recent = De laatst geopende carAssociationID's, per gateway bewaard en aangeboden op het startscherm als dezelfde gateway weer wordt gebruikt
man-files-logins = Logins die stepwise login bewaart als er geen sleutelhanger wordt gebruikt, alleen leesbaar voor de gebruiker
man-files-reports = Sessierapporten, geschreven met x (--report schrijft waar het aangeeft)
man-files-logs = De logs van de wizard (STEPWISE_LOG bepaalt hoeveel)
man-files-demo-state = Wat de demo-backend in eerdere runs heeft geleerd (stepwise demo --fresh vergeet het)
man-files-sim-tls = De autoriteit, het certificaat en de sleutel van stepwise serve --tls, tenzij --tls-dir een andere map noemt
auth-unknown-client = de identiteitsprovider kent de client-id { $client } niet ({ $said }). Stel de daar voor stepwise geregistreerde id in met --client-id ID of `client_id` in het configuratiebestand
auth-client-wants-secret = de identiteitsprovider wil dat de client { $client } zich authenticeert ({ $said }): hij is daar geregistreerd als vertrouwelijke client, met een geheim, en stepwise meldt zich aan als publieke client. Vraag wie de provider beheert om een publieke client-id voor stepwise (zonder geheim, aanmelden via apparaat of browser toegestaan), en geef die met --client-id ID of `client_id` in het configuratiebestand
auth-client-not-allowed = de identiteitsprovider kent de client-id { $client }, maar laat die niet op deze manier aanmelden ({ $said }), en biedt stepwise geen andere manier. Vraag de beheerder van de provider de apparaatstroom voor deze client toe te staan; bewaar intussen een token met `stepwise login --with-token`
auth-client-not-allowed-device = de identiteitsprovider kent de client-id { $client }, maar laat die niet aanmelden met een code op een ander apparaat ({ $said }). Meld u in plaats daarvan aan in een browser: `stepwise login` zonder --device, op een machine met een bureaublad; of vraag de beheerder van de provider de apparaatstroom voor deze client toe te staan; of bewaar een token met `stepwise login --with-token`
auth-client-not-allowed-browser = de identiteitsprovider kent de client-id { $client }, maar laat die niet aanmelden in een browser ({ $said }). Meld u in plaats daarvan aan met een code op een ander apparaat: `stepwise login --device`; of vraag de beheerder van de provider het toe te staan; of bewaar een token met `stepwise login --with-token`
auth-unknown-scope = de identiteitsprovider kent een gevraagde scope niet ({ $said }); gevraagd: { $scopes }. Stel de scopes die hij kent in met --scope of `scopes` in het configuratiebestand (vraag de beheerder welke), en voer `stepwise login` opnieuw uit
err-signin-issuer-mismatch = de identiteitsprovider op { $asked } noemt zichzelf { $got }: zijn metadata zijn niet van hem. Controleer --issuer (of STEPWISE_ISSUER, `issuer` in het configuratiebestand) als dat is opgegeven, waarschuw anders wie de gateway beheert (diens aanmeldmetadata noemen deze provider)
err-signin-issuer-unnamed = de metadata van de identiteitsprovider op { $asked } noemen geen uitgever (het lid `issuer` ontbreekt), dus ze kunnen niet als de zijne gecontroleerd worden. Meld het aan wie de provider beheert; controleer --issuer (of STEPWISE_ISSUER, `issuer` in het configuratiebestand) als die is opgegeven
err-signin-resource-mismatch = de aanmeldmetadata die de gateway op { $gateway } publiceert ({ $path }) zijn voor een andere resource, { $named }: tokens van de aanmelding die ze noemen zouden voor die resource zijn, niet voor deze gateway, dus ze worden niet gebruikt (RFC 9728). Waarschuw wie de gateway beheert; wie de identiteitsprovider van deze gateway kent, geeft die op met --issuer (of STEPWISE_ISSUER, `issuer` in het configuratiebestand)
err-signin-issuer-none = de identiteitsprovider op { $issuer } publiceert geen metadata (geen /.well-known/openid-configuration en geen /.well-known/oauth-authorization-server; HTTP { $status }). Controleer --issuer (of STEPWISE_ISSUER, `issuer` in het configuratiebestand) als dat is opgegeven, waarschuw anders wie de gateway beheert (diens aanmeldmetadata noemen deze provider)
err-signin-issuer-missing = de identiteitsprovider op { $issuer } publiceert metadata zonder { $field }: hij biedt daar geen aanmelding die stepwise kan gebruiken. Controleer --issuer (of STEPWISE_ISSUER, `issuer` in het configuratiebestand) als dat gegeven is, anders meld het aan de beheerder van de gateway (zijn aanmeldmetadata noemen deze provider)
err-signin-issuer-bad = de issuer { $issuer } is geen http(s)-URL. Geef er een zoals https://login.example.com/realms/workshop
err-signin-endpoint-authorization = autorisatieadres
err-signin-endpoint-revocation = intrekkingsadres
login-expires-no-refresh = Het token verloopt om { $time }. Er kwam geen vernieuwingstoken mee (de provider geeft er een met de scope offline_access), dus log dan opnieuw in.
login-expires-no-refresh-asked = Het token verloopt om { $time }. Er kwam geen vernieuwingstoken mee, hoewel de aanmelding om offline_access vroeg: de identiteitsprovider geeft stepwise er geen (de beheerder ervan kan het toestaan), dus meld dan opnieuw aan.
login-keyring-fallback = Let op: de sleutelbos kon het token niet bewaren ({ $why }), dus het wordt bewaard in een bestand dat alleen jij kunt lezen (modus 0600). `stepwise logout` verwijdert het.
login-browser-signing-in = Adres aan de browser doorgegeven: log daar in en kom dan hier terug (Ctrl-C annuleert).
login-browser-address = Toont geen browser het inloggen, open dan dit adres op deze machine: { $address }
login-browser-done = Ingelogd: sluit dit tabblad en ga terug naar de terminal.
login-browser-failed-page = Dit inloggen is niet gelukt: de terminal zegt waarom.
logout-revoked = De identiteitsprovider heeft de login ingetrokken ({ $endpoint }).
logout-revoked-page = Het intrekkingsadres ({ $endpoint }) antwoordde HTTP 200, wat ingetrokken betekent, maar met een webpagina waar de identiteitsprovider niets antwoordt: als daar een portaal of proxy in zijn plaats antwoordt, kan de login bij de provider geldig blijven tot hij verloopt.
logout-not-revoked = De identiteitsprovider biedt geen intrekking: de login is hier vergeten, en het vernieuwingstoken blijft daar geldig tot het verloopt.
logout-not-revoked-access = De identiteitsprovider biedt geen intrekking: de aanmelding is hier vergeten, en het token blijft daar geldig tot het verloopt.
logout-revoke-failed = Intrekken bij de identiteitsprovider is mislukt ({ $why }); de login is hier toch vergeten. Het vernieuwingstoken blijft bij de provider geldig tot het verloopt of de provider het beëindigt: vraag de beheerder het in te trekken als het nu moet stoppen.
logout-already-ended = De identiteitsprovider had deze login al beëindigd ({ $said }): er is niets in te trekken.
logout-revoke-failed-access = Intrekken bij de identiteitsprovider is mislukt ({ $why }); de login is hier toch vergeten. Het token blijft bij de provider geldig tot het verloopt: vraag de beheerder het in te trekken als het nu moet stoppen.
status-over = Vernieuwen: beëindigd door de identiteitsprovider ({ $said }). Voer `stepwise login` uit
status-over-client = Vernieuwen: geweigerd: de identiteitsprovider neemt de client-id { $client } niet aan ({ $said }). Meld u aan met de id die hij kent: `stepwise login --client-id ID` (of zet `client_id` in het configuratiebestand)
status-client = Client:     { $client }, scopes { $scopes }, doelgroep { $audience }
status-scopes-granted = { $asked } gevraagd, { $granted } gegeven
help-cli-login-issuer = De issuer-URL van de identiteitsprovider (anders STEPWISE_ISSUER, `issuer` in het configuratiebestand, anders gevonden via de gateway)
help-cli-login-client-id = De client-id die voor stepwise bij de identiteitsprovider is geregistreerd (anders `client_id` in het configuratiebestand, anders stepwise)
help-cli-login-scope = De te vragen scopes, gescheiden door spaties (anders `scopes` in het configuratiebestand, anders die van de gateway, anders "openid offline_access")
help-cli-login-audience = De doelgroep (resource) waarvoor het token wordt gevraagd (anders `audience` in het configuratiebestand)
help-cli-login-device = Inloggen met een code die in een willekeurige browser wordt goedgekeurd, ook als hier een browser kan worden geopend
help-cli-serve-client-id = Een client-id die de identiteitsprovider kent (herhaalbaar; standaard: stepwise)
doctor-source-login = de bewaarde login (`stepwise login`)
doctor-token-login-over = de bewaarde login is beëindigd door de identiteitsprovider ({ $said })
doctor-token-fix-login = Voer `stepwise login` uit
doctor-token-fix-client-id = Stel de client-id die de identiteitsprovider kent in met --client-id ID (of `client_id` in het configuratiebestand) en voer dan `stepwise login --client-id ID` uit
doctor-token-fix-kept-fixed = Het is bewaard met `stepwise login --with-token`: vraag wie de gateway beheert om het huidige token en bewaar dat met `stepwise login --with-token`
