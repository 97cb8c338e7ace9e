# stepwise — le catalogue des messages, français. Mêmes ids et mêmes
# variables que en.ftl ; les nombres choisissent les formes du pluriel.

## The steps screen

header-car = véhicule { $car }
header-steps-id = stepsID { $id }
header-at = à { $time } UTC
header-not-loaded = pas chargé
header-watch-on = suivi ACTIF
header-watch-live = suivi ACTIF · en direct
header-watch-polling = suivi ACTIF · interrogation toutes les { $secs } s
header-watch-retrying = suivi ACTIF · nouvel essai
header-watch-off = suivi arrêté
header-autoplay = lecture auto
header-guide-lang = client : { $lang }
progress-done = { $done } sur { $total } faites
progress-filtered = (filtre : { $filter }, { $shown ->
    [one] { $shown } étape affichée
   *[other] { $shown } étapes affichées
})
list-title = Étapes, dans l'ordre
list-title-filtered = Étapes : { $filter } seulement
list-loading = Demande des étapes à la passerelle…
list-loading-held = Retenu : la passerelle a demandé à chaque requête d'attendre (HTTP 429, l'en-tête décompte) ; les étapes sont demandées quand l'attente se termine.
list-none = Pas encore de liste : r pour redemander.
list-none-waiting = Pas encore de liste : la passerelle a demandé d'attendre (le message dit combien de temps) ; le suivi redemande une fois l'attente finie.
list-none-sign-in = Pas encore de liste : la passerelle demande un jeton valide. Appuyez sur i pour vous connecter, si elle propose la connexion (sinon relancez avec --token-file) ; la liste sera redemandée ensuite.
list-none-token-given = Pas encore de liste : la passerelle veut un jeton valide, et la connexion ici échoue (le message dit pourquoi). Quittez et relancez avec un jeton donné : --token-file FICHIER ou STEPWISE_TOKEN.
list-none-unknown-id = Pas de liste : la passerelle ne connaît pas cet id, redemander n'y changera rien. Vérifiez l'id.
list-none-fix-cause = Pas de liste : redemander donnera la même réponse tant que la cause indiquée dans le message n'est pas corrigée.
list-empty-filtered = Aucune étape { $filter }. f change le filtre.
list-empty = La passerelle n'a renvoyé aucune étape pour ce carAssociationID.
mark-next = SUIVANTE
mark-waits = attend
mark-status-raw = statut { $status }
mark-waits-for = attend l'étape { $order }
guide-title = Ce que fait le client : { $title }
guide-title-none = Conseils
guide-no-step = Aucune étape à guider. Si l'application du client refuse encore le service, vérifiez le carAssociationID ou videz le cache des étapes avec R.
guide-waiting = Les conseils pour l'étape suivante s'affichent dès que la liste arrive.
guide-link = Guide :
guide-does = Le client :
guide-needs = À avoir sous la main :
guide-errors = Erreurs de l'application pour cette étape :
guide-errors-hint = la touche «e» les explique
guide-link-archive = Documentation développeurs (archivée, en anglais) :
guide-keys-gateway = «g» montre la page du client ({ $lang }) sur la passerelle en code QR ; la touche «o» l'ouvre.
guide-keys-dealer = «g» montre la page d'aide du concessionnaire en code QR ; la touche «o» l'ouvre.
guide-keys-archive = «g» montre la page développeurs archivée en code QR ; la touche «o» l'ouvre (la passerelle ne sert pas de pages client).
guide-more-below = ↓ suite : Pg suiv
guide-more-above = ↑ plus haut : Pg préc
list-more-below = ↓ { $count } de plus : j
list-more-above = ↑ { $count } de plus au-dessus : k
ready-title = Service prêt
ready-line = Toutes les étapes sont faites : le service est prêt.
ready-services = Le service souscrit (état du véhicule ou commandes à distance) est maintenant utilisable dans l'application du client.
ready-stale-before = Si l'application échoue encore avec l'erreur 2312 ou 2317, le cache des étapes est périmé : appuyez sur{" "}
ready-stale-after = {" "}pour le vider et voir l'état réel.

## Requests in flight

loading-steps = lecture des étapes
loading-held = { $what }, retenu par la limite de la passerelle (HTTP 429)
loading-refresh = actualisation
loading-reset = vidage du cache des étapes
loading-next = demande de l'étape suivante
loading-customer = le client agit

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {" : "}
banner-cut = {" "}… suite : une fenêtre plus grande montre tout{" "}
banner-cut-help = {" "}… suite : la touche « ? » montre tout{" "}

banner-no-steps-id = Pas encore de stepsID
banner-no-steps-id-text = actualisez d'abord avec r.
banner-no-steps-id-in-list-text = la liste de la passerelle est arrivée sans stepsID, et l'étape suivante ne se demande que par stepsID : r n'en apportera pas. Signalez à l'exploitant de la passerelle que sa liste n'a pas de stepsID.
banner-steps-id-dropped = stepsID abandonné
banner-steps-id-dropped-text = la passerelle a refusé le stepsID qu'elle avait donné, il a donc été abandonné ; la liste à l'écran est la dernière venue avec lui. r en demande un nouveau par carAssociationID.
banner-watch-off = Suivi arrêté
banner-watch-off-text = w pour reprendre le suivi.
banner-nothing-to-watch = Rien à suivre
banner-nothing-to-watch-text = toutes les étapes sont déjà faites.
banner-no-step-shown = Aucune étape à l'écran
banner-no-step-shown-text = g et o donnent au client la page de l'étape à l'écran, et il n'y en a aucune : aucune liste n'est encore arrivée, ou elle n'a aucune étape. r redemande la liste.
banner-key-needs-list = { $key } a besoin d'une liste d'étapes, et aucune n'est arrivée. Pourquoi :
banner-no-step-shown-filter-text = g et o donnent au client la page de l'étape à l'écran, et le filtre cache toutes les étapes (aucune étape { $filter }). Appuyez sur f jusqu'à ce que les étapes s'affichent, puis choisissez-en une avec ↑↓.
banner-watching = Suivi en cours
banner-watching-text = suivi de la liste jusqu'à ce que tout soit fait (l'en-tête dit comment : en direct ou par interrogation) ; w arrête.
banner-list-without-steps-id = Aucun stepsID dans la liste
banner-list-without-steps-id-text = la liste de la passerelle ne porte aucun stepsID : l'appel de l'étape suivante (n) et les événements en direct ne peuvent pas demander par lui, donc le suivi demande par carAssociationID toutes les { $secs } s. Prévenez l'exploitant de la passerelle : une liste porte son stepsID.
banner-watch-stopped = Suivi arrêté : { $what }
banner-live-trouble = Suivi interrompu : { $what }
banner-live-stalls = Flux en direct rétabli après un blocage
live-bad-event = le flux d'événements en direct de la passerelle a envoyé un événement inutilisable : { $why }. Les listes elles-mêmes sont bonnes ; prévenez l'exploitant de la passerelle
live-proxy-held = le flux d'événements en direct n'a eu aucune réponse en { $secs } s à travers le proxy { $proxy }, bien que les appels de liste à travers lui aient leur réponse : le proxy retient une réponse qui ne finit pas (il met le flux d'événements en mémoire tampon). Demandez à qui gère le proxy de laisser passer text/event-stream sans mémoire tampon, ou réglez NO_PROXY={ $host } si la passerelle est joignable sans lui
banner-live-trouble-text = { $why }. Le suivi reprend tout seul dès qu'il le peut ; d'ici là, la liste affichée peut être dépassée.
banner-live-trouble-wait-text = { $why }. La passerelle a demandé d'attendre { $secs } s (son Retry-After) : le suivi redemande alors ; d'ici là, la liste affichée peut être dépassée.
banner-live-trouble-wait-capped-text = { $why }. La passerelle a demandé d'attendre { $secs } s (son Retry-After) ; stepwise attend au plus { $max } s : le suivi redemande alors ; d'ici là, la liste affichée peut être dépassée.
banner-429-capped-text = { $why }. stepwise attend au plus { $max } s : il redemande alors (l'en-tête décompte), et la passerelle peut le refuser de même tant que sa propre attente n'est pas finie.
banner-live-held-text = { $why }. Le suivi ne redemande pas de lui-même : un renouvellement de jeton dont la réponse s'est perdue n'est pas renvoyé sans vous (son jeton de rafraîchissement est peut-être consommé). Appuyez sur r une fois que le chemin vers le fournisseur d'identité fonctionne ; d'ici là, la liste à l'écran peut être dépassée.
banner-watch-retries = Le suivi redemande tout seul (l'en-tête dit « nouvel essai ») ; r demande tout de suite.
banner-watch-waits = Le suivi redemande tout seul après cette attente ; demander plus tôt (r) n'aide pas.
banner-watch-waits-secs = Le suivi redemande tout seul après les { $secs } s d'attente demandés par la passerelle ; demander plus tôt (r) n'aide pas.
banner-env-restart = Un stepwise en cours lit les variables de proxy à son démarrage : quittez (q) et relancez-le après les avoir changées.
banner-live-fallback = Flux en direct abandonné : la liste est demandée toutes les { $secs } s
banner-live-fallback-text = le flux d'événements de la passerelle échouait sans cesse (dernière fois : { $what }). Le suivi continue en demandant la liste toutes les { $secs } s : la liste affichée reste à jour, un changement apparaît jusqu'à { $secs } s plus tard. Si cela dure, donnez l'échec entre parenthèses à l'exploitant de la passerelle, ou à qui gère un proxy sur le chemin (un flux peut échouer dans l'un d'eux).
banner-live-fallback-contradicted-text = abandonné aussitôt : { $what }. Le suivi continue en demandant la liste toutes les { $secs } s : la liste affichée reste à jour, un changement apparaît jusqu'à { $secs } s plus tard.
banner-watch-stopped-text = { $why }. Continuer ne ferait que répéter cette réponse ; w relance le suivi une fois le problème réglé.
banner-run-keeps-refusal = { $why }. Cette exécution n'interroge plus la passerelle avec cette connexion, donc r et w obtiennent de nouveau cette réponse : une fois le problème réglé, ou après un nouveau `stepwise login`, quittez avec q et relancez stepwise.
banner-customer-idle = Plus rien à faire pour le client
banner-customer-idle-text = toutes les étapes sont faites.
banner-no-report-place = Pas d'emplacement pour le rapport
banner-no-report-place-text = pas de dossier de données utilisateur ; utilisez --report CHEMIN.
banner-report-written = Rapport écrit
banner-note-kept = Note gardée
banner-note-kept-text = elle figurera dans le rapport de session.
banner-note-kept-press-x-text = elle ira dans le rapport de session, que x écrit (aucun --report n'a été donné) : appuyez sur x avant de quitter. q avec une note non écrite redemande, et un second q quitte sans elle ; une session terminée autrement (Ctrl-C, une fenêtre fermée) l'écrit là où x écrit.
banner-note-token = Note non gardée
banner-note-token-text = elle contient ce qui ressemble à un jeton de connexion, et un jeton ne va jamais dans un rapport. Appuyez sur N et tapez la note sans lui.
banner-note-token-word-text = elle contient ce qui ressemble à un jeton de connexion (le mot de { $len } caractères qui commence par { $start }…), et un jeton ne va jamais dans un rapport. Appuyez sur N : la note revient telle que tapée, pour retirer ce mot.
report-note-token-left-out = une note en cours de saisie à la fin de l'assistant a été omise : elle contenait ce qui ressemble à un jeton de connexion, et un jeton ne va jamais dans un rapport. Réécrivez-la sans le jeton
banner-note-unsaved = Note non enregistrée
banner-note-unsaved-text = aucun rapport ne contient encore votre note (pas de --report). Appuyez sur x pour écrire le rapport avec elle, ou encore sur q pour quitter sans elle.
banner-note-unsaved-failed-text = aucun rapport ne contient encore votre note : x n'a pas pu l'écrire ({ $why }). Corrigez cela, puis appuyez sur x ; ou appuyez de nouveau sur q pour quitter sans la note.
banner-task-failed = La requête s'est arrêtée sur une erreur interne
banner-task-failed-text = stepwise n'a pas pu la terminer ({ $why }). r pour réessayer ; si cela se reproduit, envoyez le fichier journal au support.
banner-report-not-written = Rapport non écrit
banner-report-not-written-text = impossible d'écrire { $path } : { $why }. Vérifiez que le dossier existe et est accessible en écriture.
banner-report-in-the-way-text = impossible d'écrire { $path } : un fichier se trouve à { $file }, là où doit être un dossier (le dossier des rapports ou un dossier au-dessus). Déplacez ou renommez ce fichier, puis appuyez de nouveau sur x.
banner-guide-opened = Lien transmis au navigateur
banner-no-browser = Impossible d'ouvrir un navigateur
banner-no-graphical-session = pas de session graphique ici. Ouvrez { $url } sur un autre appareil, ou g pour son code QR.
banner-no-graphical-session-local = pas de session graphique ici, et { $url } n'existe que sur cette machine (boucle locale) : un autre appareil ne peut pas l'ouvrir non plus. Donnez à --api une adresse de la passerelle joignable sur le réseau de l'atelier, puis appuyez sur g pour son code QR.
banner-no-graphical-session-demo = pas de session graphique ici, et { $url } n'existe que sur cette machine (backend de démo). Pour les téléphones : lancez `stepwise serve --addr 0.0.0.0:8080` et donnez à l'assistant --api avec l'adresse qu'affiche serve ; g montre alors son code QR.
banner-browser-failed = { $why }. Ouvrez { $url } à la main, ou g pour son code QR.
banner-step-done = { $count ->
   *[other] Fait — { $steps }
}
banner-step-undone = { $count ->
   *[other] De nouveau à faire — { $steps }
}
banner-step-undone-text = la dernière liste de la passerelle l'a de nouveau à faire (une réinitialisation ailleurs, une clé révoquée, ou une passerelle qui a perdu son état) : le client le refait ; la liste montre ce qui reste.
banner-steps-undone-text = la dernière liste de la passerelle les a de nouveau à faire (une réinitialisation ailleurs, une clé révoquée, ou une passerelle qui a perdu son état) : le client les refait ; la liste montre ce qui reste.
banner-next-is = l'étape suivante est { $title }.
banner-all-done-ready = tout est fait, le service est prêt.
banner-nothing-shown-left = plus rien à faire dans la liste affichée.
banner-reset-done = Cache des étapes vidé
banner-reset-done-text = chaque étape a été réévaluée ; la liste montre l'état réel.
banner-reset-refused-front = Réinitialisation refusée
banner-reset-refused-front-text = quelque chose devant la passerelle a répondu à la réinitialisation du cache des étapes (resetSteps=true) par HTTP { $status } sans corps d'erreur de passerelle, alors que les listes viennent de cette adresse : seul l'appel de réinitialisation est refusé. Le cache n'a pas été réinitialisé, et la liste à l'écran est inchangée. Demandez à l'exploitant de la passerelle, ou à qui gère le réseau, si l'appel de réinitialisation est laissé passer.
banner-reset-unanswered = Réinitialisation envoyée, sans réponse
banner-reset-unanswered-text = la passerelle a pris la réinitialisation du cache des étapes (resetSteps=true) mais n'a pas répondu en { $secs } s : le cache est peut-être déjà réinitialisé, ou non. Appuyez d'abord sur r pour voir la liste telle qu'elle est ; ne réinitialisez à nouveau que si elle montre encore faites des étapes que le client n'a pas faites.
banner-reset-gave-up-text = la réinitialisation du cache des étapes (resetSteps=true) a reçu HTTP { $status } de quelque chose devant la passerelle qui a cessé de l'attendre : le cache est peut-être déjà réinitialisé, ou non. Appuyez d'abord sur r pour voir la liste telle qu'elle est ; ne réinitialisez à nouveau que si elle montre encore faites des étapes que le client n'a pas faites.
banner-no-longer-found = Plus trouvé
banner-no-longer-found-text = cette adresse a répondu des listes pour ce véhicule plus tôt dans cette session, et répond maintenant 404 (non trouvé) : l'id et --api étaient bons, donc la passerelle, ou un routeur ou un proxy devant elle, a changé (un redémarrage, un déploiement, une route perdue). Appuyez sur r dans un moment pour redemander ; si cela persiste, prévenez l'exploitant de la passerelle, avec l'heure.
banner-steps-id-changing = La passerelle change sans cesse le stepsID de ce véhicule
banner-steps-id-changing-text = la liste du stepsID { $asked } a été demandée, elle a répondu la liste du stepsID { $answered }, moins d'une minute après avoir recommencé par carAssociationID. Le suivi est arrêté plutôt que de demander sans fin. Appuyez sur r pour redemander par carAssociationID ; s'il change encore, prévenez l'exploitant de la passerelle (ou qui gère un proxy ou un cache entre les deux).
banner-started-over = Reprise depuis le début
banner-started-over-text = { $why } ; nouvelle demande par carAssociationID.
banner-refused-again = La passerelle refuse le stepsID qu'elle vient de donner
banner-refused-again-text = { $why }, de nouveau, moins d'une minute après la reprise par carAssociationID. Suivi arrêté plutôt que de redemander sans fin. Prévenez l'exploitant de la passerelle ; r redemande une fois par carAssociationID.
why-other-device = le stepsID appartenait à un autre appareil
why-steps-id-unknown = la passerelle ne connaît plus ce stepsID
why-steps-id-changed = la passerelle a répondu la liste d'un autre stepsID (un nouveau pour ce véhicule, ou des réponses mélangées en chemin)
banner-gateway-next = Étape suivante selon la passerelle
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), absente de la liste affichée ; f change le filtre.
banner-filter-ignored = Filtré ici, pas par la passerelle
banner-list-lost-steps = Liste amputée d'étapes
banner-list-lost-steps-text = la liste de la passerelle pour le stepsID { $id } ne contient plus { $steps }, qui n'étaient pas faites : une liste ne perd jamais les étapes qu'elle avait (une liste filtrée donnée pour la liste entière ?). Elle n'est pas prise, et le véhicule n'est pas dit prêt : la liste à l'écran est la dernière entière. Appuyez sur r pour redemander ; si cela reste ainsi, signalez-le à l'exploitant de la passerelle
banner-nothing-left = Plus rien à faire
banner-nothing-left-text = la passerelle a répondu null : il ne reste aucune étape, le service est prêt.
banner-next-list-older = La liste à l'écran est plus ancienne que cette réponse : elle est demandée à nouveau.
banner-next-disagrees = Les deux réponses de la passerelle se contredisent
banner-next-disagrees-text = son étape suivante est { $said } (`{ $name }`), mais la liste redemandée à l'instant met toujours { $first } (`{ $first_name }`, statut « { $status } ») en premier, non fait : la liste n'est pas ancienne. Demandez à l'exploitant de la passerelle laquelle le client fait en premier.
banner-answers-disagree = La passerelle se contredit
banner-answers-disagree-text = son appel de l'étape suivante a dit qu'il ne reste rien, mais sa liste, redemandée à l'instant, a encore des étapes à faire (NEXT marque la première). Suivez la liste, et signalez à l'exploitant de la passerelle que les deux appels se contredisent.

## The start screen
backend-demo = backend de démonstration
demo-car-987654 = Exemple de la documentation : téléphone de confiance, appareil non activé
demo-car-moved = Véhicule de démo, étapes faites : { $done } sur { $total } (demo --fresh recommence)
demo-car-reset-done = Cache vidé pendant cette session : la liste montre l'état réel
demo-fresh-done = Démo reprise de zéro : chaque véhicule de démo est revenu là où son libellé le dit.
demo-fresh-failed = impossible de reprendre la démo de zéro : son état { $path } ne peut pas être supprimé ({ $error }). Supprimez ce fichier à la main, puis recommencez
launch-note-title = Remarque
cli-ids-repeated = Donné plusieurs fois, demandé une seule fois : { $ids }.
cli-ids-one-line = { $path } contient une ligne de { $values } valeurs en colonnes : seule la première est lue comme carAssociationID (la première colonne d'un fichier). Pour les demander toutes, mettez un id par ligne.
cli-ids-rows-without-id = { $count ->
    [one] { $path } : la ligne { $lines } n'a pas de carAssociationID dans la colonne des ids, elle est donc ignorée. Renseignez son id pour demander ce véhicule.
   *[other] { $path } : les lignes { $lines } n'ont pas de carAssociationID dans la colonne des ids, elles sont donc ignorées. Renseignez leurs ids pour demander ces véhicules.
    }
cli-ids-column-guessed = { $path } : sa première ligne ne nomme aucune colonne carAssociationID, donc les identifiants ont été lus dans la colonne { $column } (« { $name } »), la seule dont chaque valeur est un identifiant avec un chiffre. Si ce ne sont pas ceux des véhicules, intitulez leur colonne carAssociationID
demo-car-111111 = Nouveau client : rien de fait
demo-car-222222 = Service prêt : toutes les étapes faites
demo-car-333333 = Cache périmé : l'application affiche 2312/2317, seul le vidage du cache montre l'état réel
demo-car-444444 = État du véhicule seulement : deux étapes

start-subtitle = étapes d'activation du service
start-intro = Saisissez le carAssociationID du client (sur l'abonnement aux services connectés) puis Entrée.
start-replace-hint = Taper remplace cet identifiant ; ⌫ le modifie
start-refused = Refusé : { $chars }. Un id ne contient que des lettres a–z, A–Z, des chiffres, - et _.
start-dropped-confirm = Laissés de côté : { $chars }. Entrée à nouveau prend { $id } tel quel (un autre véhicule ?) ; sinon corrigez-le.
start-too-long = Un id a au plus { $max } caractères ; le reste a été ignoré.
start-not-an-id = Saisissez un carAssociationID : lettres a–z, A–Z, chiffres, - ou _.
start-excel-number = { $number } est un long nombre tel qu'Excel l'affiche (notation scientifique), pas un identifiant : ses derniers chiffres sont perdus. Dans Excel, mettez la colonne au format Texte, retapez l'identifiant et copiez-le de là.
start-several-ids = { $count } lignes ont été collées (une colonne d'identifiants ?) : le champ prend un seul identifiant, donc aucun n'a été pris. Collez-en ou tapez-en un ; pour un tableau de tous, quittez et lancez avec --cars FICHIER (un identifiant par ligne) ou --car ID --car ID
board-add-several-ids = { $count } lignes ont été collées (une colonne d'identifiants ?) : ce champ ajoute un identifiant à la fois, donc aucun n'a été pris. Collez-en ou tapez-en un, Entrée, puis de nouveau a pour le suivant ; les véhicules du tableau restent
start-label-left-out = Le collage commençait par son libellé « { $label } », laissé de côté : le champ contient l'id qui suit.
start-note-unsaved = Note non enregistrée : aucun rapport ne la contient encore (pas de --report). Ouvrez un véhicule et appuyez sur x pour écrire le rapport avec elle, ou appuyez encore sur q pour quitter sans elle.
start-choices = Ids récents (↑↓ pour choisir) :
start-choices-demo = Ids récents et associations de démo (↑↓ pour choisir) :
start-recent = récent

## A window too small

too-small-title = Fenêtre trop petite
too-small-text = stepwise a besoin de { $min_w }×{ $min_h } ; celle-ci fait { $w }×{ $h }.
too-small-hint = Agrandissez la fenêtre (q pour quitter).
too-small-note-unsaved = Votre note n'est encore dans aucun rapport : agrandissez la fenêtre et appuyez sur x pour écrire le rapport avec elle, ou encore sur q pour quitter sans elle.

## Overlays

help-title = Aide (Échap ferme)
help-title-more = Aide (↓ Pg suiv pour la suite, Échap ferme)
help-section-start = Écran de départ
help-section-steps = Écran des étapes
help-section-message = Le message à l'écran, en entier
help-section-everywhere = Partout
help-section-reset = Confirmation du vidage
help-section-explain = Explication des codes d'erreur
help-section-qr = Code QR
help-section-help = Cette aide
help-section-badges = Étiquettes
help-legend-badges = [FAIT] faite (alreadyDone)  [À FAIRE] à faire (todo)  [????] statut inconnu de l'outil
badge-done = FAIT
badge-todo = À FAIRE
badge-unknown = ????
help-legend-next = SUIVANTE marque l'étape à faire maintenant ; les suivantes l'attendent.
reset-title = Vider le cache des étapes
reset-question = Vider le cache des étapes de { $car } ?
reset-when = À utiliser quand l'application du client affiche l'erreur 2312 ou 2317, ou quand une étape est marquée faite sans l'être.
reset-what = Chaque étape est alors réévaluée ; celles vraiment faites le restent.
explain-title = Expliquer un code d'erreur (Échap ferme)
explain-code = Code d'erreur :
explain-prompt = Saisissez le code qu'affiche l'application du client, par exemple 2312 ou NOK:MAXNBTOOLS.
explain-known = Connus : { $codes }
explain-meaning = Signification :
explain-remedy = Que faire :
explain-limits = Limites :
explain-reset-cures = ✔ Vider le cache des étapes le corrige : fermez avec Échap, puis appuyez sur{" "}
explain-unknown = { $code } n'est pas un code connu de cet outil.
explain-unknown-hint = Vérifiez la saisie et cherchez le code dans la liste d'erreurs du constructeur ; après Échap, notez-le dans une note (N) pour le rapport de session.
qr-title-gateway = Scanner : la page du client ({ $lang }) (Échap ferme)
qr-title-dealer = Scanner : la page d'aide du concessionnaire (Échap ferme)
qr-title-archive = Scanner : documentation développeurs, archivée (Échap ferme)
qr-demo-local = Seule cette machine peut ouvrir cette page (backend de démo). Pour les téléphones : lancez `stepwise serve --addr 0.0.0.0:8080` et donnez à l'assistant --api avec l'adresse qu'affiche serve.
qr-loopback = Cette adresse n'existe que sur cette machine (boucle locale) : un téléphone ne peut pas l'ouvrir. Donnez à --api l'adresse de la passerelle sur le réseau de l'atelier.
qr-too-small = La fenêtre est trop petite pour le code QR ; agrandissez-la.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Échap
key-name-enter = Entrée
key-name-space = Espace
key-name-pgdn = Pg suiv
key-name-pgup = Pg préc
key-name-ctrl-c = Ctrl-C
key-name-yes = o

key-short-quit = quitter
key-short-open = ouvrir
key-short-pick = choisir
key-short-help = aide
key-short-type = saisir
key-short-erase = effacer
key-short-clear = vider
key-short-move = naviguer
key-short-more = suite
key-short-refresh = actualiser
key-short-watch = suivre
key-short-act = simuler
key-short-next = suivante
key-short-filter = filtrer
key-short-reset = vider
key-short-explain = expliquer
key-short-open-guide = ouvrir guide
key-short-qr = code QR
key-short-report = rapport
key-short-back = retour
key-short-scroll = défiler
key-short-page = pages
key-short-close = fermer
key-short-reset-now = vider maintenant
key-short-cancel = annuler
key-short-open-browser = ouvrir navigateur
key-short-guide-lang = langue client
key-help-quit-now = quitter tout de suite
key-help-quit = quitter
key-help-quit-empty = quitter (champ vide)
key-help-open = ouvrir les étapes de ce carAssociationID
key-help-pick = choisir un id récent ou de démo
key-help-help = l'aide de toutes les touches
key-help-type-id = saisir le carAssociationID (lettres a–z, A–Z, chiffres, - et _)
key-help-erase = effacer le dernier caractère
key-help-clear = vider le champ
key-help-move = déplacer la sélection
key-help-guide-down = faire défiler les conseils vers le bas
key-help-guide-up = faire défiler les conseils vers le haut
key-help-refresh = actualiser la liste par stepsID
key-help-watch = suivi : suivre chaque changement jusqu'à la fin
key-help-act = le client simulé fait l'étape suivante (démo)
key-help-next = demander l'étape suivante à la passerelle
key-help-filter = filtrer par statut : toutes, todo, alreadyDone
key-help-reset = vider le cache des étapes (erreurs 2312/2317)
key-help-explain = expliquer un code d'erreur de l'application
key-help-open-guide = ouvrir le guide de l'étape dans un navigateur
key-help-qr = montrer le lien du guide en code QR
key-help-report = écrire le rapport de session (Markdown)
key-help-back = retour à l'écran de départ
key-help-back-board = retour au tableau
key-short-note = noter
key-help-note = écrire une note pour le rapport de session
key-help-save-note = garder la note pour le rapport
key-help-type-note = taper la note
help-section-note = La note pour le rapport
key-help-scroll = faire défiler l'aide
key-help-page-down = une page plus bas
key-help-page-up = une page plus haut
key-help-close-help = fermer l'aide
key-help-reset-now = vider le cache des étapes maintenant
key-help-cancel = annuler
key-help-close-explain = fermer l'explication
key-help-type-code = saisir le code : chiffres, lettres, : _ .
key-help-close-qr = fermer le code QR
key-help-open-browser = ouvrir le lien dans un navigateur
key-help-guide-lang = passer les conseils du client à la langue suivante

## The session report (Markdown)

report-title = Rapport de session stepwise
report-none = (aucun)
report-backend = passerelle
report-end = état final : { $done } sur { $total } faites
report-end-ready = état final : { $done } sur { $total } faites, service prêt
report-end-next = état final : { $done } sur { $total } faites, suivante : { $title } (`{ $name }`)
report-col-order = ordre
report-col-step = étape
report-col-name = nom
report-col-status = statut
report-events = Événements
report-event-opened = carAssociationID { $car } ouvert
report-event-removed = retiré du tableau par le technicien
report-event-steps-id-changed = la passerelle a répondu la liste d'un autre stepsID ({ $answered }) ; redemandé par carAssociationID
report-event-list-next = liste (stepsID { $id }) : { $done } sur { $total } faites, suivante `{ $next }`
report-event-list-clear = liste (stepsID { $id }) : { $done } sur { $total } faites, plus rien à faire
report-event-list-empty = liste (stepsID { $id }) : aucune étape renvoyée, le service n'est donc pas connu comme prêt
report-event-filtered = liste filtrée sur { $status } : { $shown ->
    [one] { $shown } étape affichée
   *[other] { $shown } étapes affichées
}
report-event-reset = vidage du cache des étapes demandé (resetSteps=true) ; la réponse de la passerelle suit
report-event-next = étape suivante selon la passerelle : `{ $step }`
report-event-next-none = étape suivante selon la passerelle : aucune (null)
report-event-simulated = le client simulé a fait `{ $step }`
report-event-error = erreur : { $what } : { $detail }
report-event-started-over = { $status ->
    [404] la passerelle ne connaissait plus le stepsID (HTTP { $status }) ; reprise avec le carAssociationID
   *[other] la passerelle a refusé le stepsID (HTTP { $status }) ; reprise avec le carAssociationID
}
report-event-started-over-live = le flux en direct de la passerelle a refusé le stepsID ; reprise avec le carAssociationID
report-events-left-out = { $n ->
    [one] { $n } événement omis
   *[other] { $n } événements omis
} (les { $first } premiers et les { $last } derniers sont conservés)
report-vehicle-count = { $count ->
    [one] { $count } véhicule
   *[other] { $count } véhicules
}
report-empty = Rien ne s'est passé pendant cette session : aucun véhicule ouvert, aucune note écrite.
report-ended-quit = Session terminée à { $at } : le technicien a quitté.
report-ended-hangup = Session terminée à { $at } : le terminal a été fermé (SIGHUP), pas quitté par le technicien.
report-ended-signal = Session terminée à { $at } : arrêtée par { $signal }, pas quittée par le technicien.
report-ended-terminal = Session terminée à { $at } : le terminal a disparu en cours de route, pas quittée par le technicien.
report-notes = Remarques et événements de la session
report-event-note = note : { $text }
report-event-signed-in = connecté depuis l'assistant (i) ; les véhicules refusés faute de jeton redemandent
report-event-sign-in-failed = la connexion depuis l'assistant (i) a échoué : { $detail }
report-event-note-unfinished = note (inachevée : en cours de saisie à la fin de l'assistant) : { $text }
report-event-explained = code { $code } expliqué : { $meaning }
report-event-filter-chosen = filtre de statut choisi : { $status }
report-event-watch-on = suivi activé
report-event-watch-off = suivi désactivé
report-event-watch-stopped = le suivi s'est arrêté de lui-même : { $what } (redemander ne changerait pas la réponse)
report-event-guide-lang = les instructions du client passées en { $lang }
report-event-held = le HTTP 429 de la passerelle a retenu toute requête vers elle pendant { $secs } s (son Retry-After) : aucune liste n'a été demandée entre-temps, et celles à l'écran ont vieilli

## The plain output of steps and next

cli-none = aucun
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = Aucune étape renvoyée.
cli-no-steps-unknown = Aucune étape renvoyée : le service n'est pas connu comme prêt. Si l'application du client le refuse encore, vérifiez le carAssociationID ou videz le cache des étapes (relancez avec --reset)
cli-summary-next = { $done } sur { $total } faites ; suivante : { $title }
cli-summary-clear = { $done } sur { $total } faites ; plus rien à faire
cli-interrupted-many = interrompu : les listes des { $count } véhicules s'affichent ensemble, dans l'ordre du fichier, une fois chacun répondu ou la --deadline de { $secs } s atteinte, donc aucune ne l'a été. Relancez ; une --deadline plus courte borne l'attente
cli-filtered = filtre : { $shown ->
    [one] { $shown } étape { $filter } affichée
   *[other] { $shown } étapes { $filter } affichées
    } ; relancez sans --status pour la liste entière
cli-filter-ignored = la passerelle n'a pas appliqué le filtre : { $other } des { $total } étapes ci-dessus { $other ->
        [one] a
       *[other] ont
    } le statut { $status }. Prévenez l'exploitant de la passerelle : stepsStatus n'est pas appliqué
cli-filter-ignored-json = la passerelle n'a pas appliqué le filtre : { $other } des { $total } étapes de sa réponse { $other ->
        [one] a
       *[other] ont
    } le statut { $status }. Prévenez l'exploitant de la passerelle : stepsStatus n'est pas appliqué
cli-no-steps-id = la liste de la passerelle ne porte aucun stepsID : `stepwise next` et les événements en direct ne peuvent pas demander par lui, et la liste ne peut être redemandée que par carAssociationID. Prévenez l'exploitant de la passerelle : une liste porte son stepsID
cli-next-none = Plus rien à faire : le service est prêt.

## A failed gateway call: what happened, why, what to do

gw-unreachable = impossible de joindre la passerelle { $base } : { $detail }. Vérifiez qu'elle tourne et que --api est juste
gw-unresolved = impossible de joindre la passerelle { $base } : le nom { $host } est inconnu du DNS de cette machine. Vérifiez le nom d'hôte dans --api et les réglages DNS de cette machine (un VPN nécessaire à la passerelle ?)
gw-timed-out = la passerelle { $base } a accepté la connexion mais n'a pas répondu en { $secs } s : elle est occupée ou bloquée. Réessayez ; si cela persiste, prévenez l'exploitant de la passerelle
gw-timed-out-proxy = aucune réponse en { $secs } s de la passerelle { $base } via le proxy { $proxy } : le proxy, ou la passerelle derrière lui, reste muet. Demandez à qui gère le proxy s'il transmet les requêtes vers { $host }, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy ; puis réessayez
gw-too-large = la réponse de la passerelle dépasse { $kib } Kio et n'a pas été lue plus loin : aucune liste d'étapes n'est aussi grande, et redemander apporte la même chose. Si --api désigne une passerelle d'étapes (des listes en sont déjà venues), elle envoie beaucoup trop : prévenez l'exploitant de la passerelle ; sinon, vérifiez que --api désigne une passerelle d'étapes
gw-compressed = la réponse de la passerelle{ $via } est arrivée compressée ({ $encoding }), alors que stepwise demande les réponses telles quelles (Accept-Encoding: identity), et stepwise ne la lit pas. La passerelle, ou un proxy en chemin, compresse sans qu'on le demande : prévenez l'exploitant de la passerelle (ou qui gère le proxy)
gw-captive-portal = HTTP 511{ $via } : le réseau de cet ordinateur demande d'abord une connexion (un portail captif, comme sur un Wi-Fi invité), la requête n'a donc jamais atteint la passerelle. Ouvrez un navigateur sur cet ordinateur, acceptez la page de connexion du réseau, puis réessayez ; ou utilisez un autre réseau
gw-scope-wanted = HTTP { $status } : la passerelle a pris le jeton, mais dit qu'il lui manque la portée { $scope } (son WWW-Authenticate : insufficient_scope). Reconnectez-vous en la demandant (`stepwise login --scope "{ $ask }"`, ou `scopes` dans le fichier de configuration), ou demandez un jeton qui l'a à qui fournit les jetons
gw-scope-wanted-asked = HTTP { $status } : la passerelle a pris le jeton de la connexion gardée, mais dit qu'il lui manque la portée { $scope } (son WWW-Authenticate : insufficient_scope), alors que cette connexion a demandé { $scope } : se reconnecter demande la même chose. Soit le fournisseur d'identité n'accorde pas { $scope } à stepwise (demandez à son administrateur), soit la passerelle veut une autre portée ou audience (demandez à l'opérateur de la passerelle)
gw-scope-wanted-dropped = HTTP { $status } : la passerelle a pris le jeton de la connexion gardée, mais dit qu'il lui manque la portée { $scope } (son WWW-Authenticate : insufficient_scope) : la connexion l'a demandée, et l'octroi du dernier jeton l'a omise (accordé : { $granted }), comme peut le faire un renouvellement. Reconnectez-vous (`stepwise login` ; dans l'assistant, i) ; si les renouvellements continuent de l'omettre, prévenez l'administrateur du fournisseur d'identité
gw-scope-wanted-unnamed = HTTP { $status } : la passerelle a pris le jeton, mais dit qu'il lui manque une portée (son WWW-Authenticate : insufficient_scope, sans la nommer). Demandez à l'exploitant de la passerelle laquelle, puis reconnectez-vous avec (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status } : la passerelle a pris le jeton (source : { $from }), mais dit qu'il lui manque la portée { $scope } (son WWW-Authenticate : insufficient_scope). Un jeton donné là l'emporte sur toute connexion : mettez-y un jeton qui a cette portée, ou retirez-le et connectez-vous avec `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status } : la passerelle a pris le jeton (source : { $from }), mais dit qu'il lui manque une portée (son WWW-Authenticate : insufficient_scope, sans la nommer). Demandez à l'exploitant de la passerelle laquelle, puis mettez-y un jeton qui l'a, ou retirez-le et connectez-vous avec `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status } : la passerelle veut un jeton avec la portée { $scope }, et aucun n'a été envoyé. Connectez-vous en la demandant (`stepwise login --scope "openid offline_access { $scope }"`, ou `scopes` dans le fichier de configuration), ou donnez un jeton qui l'a avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-scope-wanted-none-unnamed = HTTP { $status } : la passerelle veut un jeton avec une portée qu'elle ne nomme pas, et aucun n'a été envoyé. Demandez à l'exploitant de la passerelle quelle portée elle veut, puis connectez-vous en la demandant (`stepwise login --scope …`), ou donnez un jeton qui l'a avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-scope-wanted-none-no-signin = HTTP { $status } : la passerelle veut un jeton avec la portée { $scope }, et aucun n'a été envoyé. Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Demandez-lui un jeton qui a cette portée, et gardez-le avec `stepwise login --with-token`, ou donnez-le avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status } : la passerelle veut un jeton avec une portée qu'elle ne nomme pas, et aucun n'a été envoyé. Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Demandez-lui un jeton qui a la portée voulue, et gardez-le avec `stepwise login --with-token`, ou donnez-le avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-scope-wanted-taken-no-signin = HTTP { $status } : la passerelle a accepté le jeton de { $from }, mais dit qu'il lui manque la portée { $scope } (son WWW-Authenticate : insufficient_scope). Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Demandez-lui un jeton qui a cette portée, et donnez-le de la même façon (un jeton conservé avec `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status } : la passerelle a accepté le jeton de { $from }, mais dit qu'il lui manque une portée qu'elle ne nomme pas (son WWW-Authenticate : insufficient_scope). Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Demandez-lui un jeton qui a la portée voulue, et donnez-le de la même façon (un jeton conservé avec `stepwise login --with-token`)
gw-bad-answer = la réponse de la passerelle est inutilisable : { $why }. Si des listes sont déjà venues de ce --api (de ce véhicule ou d'un autre), la passerelle, ou quelque chose devant elle, a répondu autre chose à cet appel : prévenez l'exploitant de la passerelle ; sinon, vérifiez que --api désigne une passerelle d'étapes
gw-bad-answer-page = la réponse est une page web (HTML) là où va le JSON de la passerelle : quelque chose devant la passerelle (un pare-feu, un portail ou un proxy inverse) a répondu, ou --api désigne un serveur web. Si des listes sont déjà venues de ce --api, demandez à qui gère le réseau ce qu'est cette page ; sinon, vérifiez que --api désigne une passerelle d'étapes
gw-bad-answer-gateway = la réponse de la passerelle est inutilisable : { $why }
gw-answer-cut = la réponse de la passerelle a été coupée ({ $why }). Réessayez ; si elle reste coupée, la passerelle ou quelque chose en chemin (un proxy) coupe ses réponses : prévenez l'exploitant de la passerelle
answer-not-json = la réponse n'est pas du JSON ({ $detail })
answer-html = la réponse est une page HTML (d'un serveur web, d'un portail ou d'un proxy), pas du JSON
answer-empty = la réponse est vide, alors que du JSON de la passerelle (une liste d'étapes, une étape ou null) était attendu
answer-not-utf8 = la réponse n'est pas du texte UTF-8 (un autre jeu de caractères, comme Latin-1), ce que le JSON doit être
answer-gzip = la réponse est une donnée compressée gzip qui ne le dit pas (pas de Content-Encoding) : la passerelle, ou un proxy en chemin, compresse sans qu'on le demande ; prévenez l'exploitant de la passerelle
answer-wrong-shape = la réponse est du JSON d'une autre forme qu'une liste d'étapes ({ $detail })
answer-wrong-shape-step = la réponse est du JSON d'une autre forme qu'une étape ({ $detail })
answer-next-done = la réponse de l'étape suivante nomme { $step } mais la marque faite : elle se contredit, et ne dit ni qu'il ne reste rien ni quelle étape vient ensuite. La liste de ce stepsID dit quelles étapes restent ; prévenez l'exploitant de la passerelle
answer-bad-steps-id = la liste de la passerelle donne un stepsID ({ $id }) qui enfreint la règle d'identifiant du contrat (1 à 64 lettres a–z, A–Z, chiffres, - ou _) : il ne peut pas être renvoyé pour les listes suivantes ni pour l'étape suivante. Prévenez l'exploitant de la passerelle ; l'identifiant saisi n'y est pour rien
answer-error-body = la passerelle a envoyé son corps d'erreur ({ $said }) avec un statut de succès (HTTP 2xx) : elle a refusé la requête, bien que son statut dise autre chose. Prévenez l'exploitant de la passerelle
json-at = elle cesse d'être du JSON à la ligne { $line }, colonne { $column }
json-cut-at = elle s'arrête avant la fin à la ligne { $line }, colonne { $column } : la réponse a été coupée
json-stops-at = elle s'arrête à la ligne { $line }, colonne { $column }
json-kind-null = null
json-kind-boolean = un booléen
json-kind-number = un nombre
json-kind-string = une chaîne de caractères
json-kind-array = un tableau
shape-not-a-list = un objet d'étapes était attendu, c'est { $kind }
shape-not-a-step = un objet étape ou null était attendu, c'est { $kind }
shape-no-steps = un objet sans stepsID ni étape, dont les membres sont { $members }
shape-no-step = un objet étape ou null était attendu ; c'est un objet sans étape, dont les membres sont { $members }
shape-live-without-id = la liste d'un événement en direct n'a pas de stepsID, sur un flux qui en suit plusieurs
os-refused = la connexion a été refusée : rien n'écoute à cette adresse et sur ce port
os-reset = l'autre côté a coupé la connexion
os-network-unreachable = cette machine n'a pas de route vers ce réseau
os-host-unreachable = cette machine n'a pas de route vers cet hôte
os-network-down = le réseau de cette machine est coupé
os-timed-out = la connexion a expiré
os-denied = cette machine a refusé d'ouvrir la connexion (un pare-feu ou un réglage de sécurité)
os-not-a-folder = un fichier est là où doit être un dossier
os-read-only = le système de fichiers est en lecture seule
os-file-denied = permission refusée (cet utilisateur ne peut pas l'écrire, ou il est verrouillé)
os-no-file-here = aucun fichier ne peut être créé dans ce dossier (un dossier système comme /proc ou /sys)
os-folder-gone = son dossier { $folder } n'existe plus : il a été supprimé pendant que l'assistant tournait, et n'est pas recréé
os-folder-in-the-way = un dossier est là où doit être un fichier
os-disk-full = le disque est plein
os-addr-in-use = ce port est déjà pris (par un programme qui y écoute, ou par une connexion fermée à l'instant qui le garde une minute)
os-addr-not-available = cette machine n'a pas cette adresse
net-closed-no-answer = le serveur a fermé la connexion sans répondre
net-bad-header = les en-têtes de la réponse ne sont pas du HTTP valide (un serveur défaillant, ou quelque chose en chemin qui modifie les réponses)
net-bad-chunks = ses morceaux (Transfer-Encoding: chunked) sont cassés
net-head-broken = ses en-têtes sont cassés
net-tls-eof = la connexion a été fermée pendant la négociation TLS
net-not-http = ce qui a répondu n'est pas du HTTP (un autre service sur ce port, ou un serveur TLS là où l'adresse dit http://)
net-cut-short = elle s'est terminée avant la longueur annoncée
net-stalled = elle a commencé, puis s'est arrêtée en chemin, et plus rien n'est venu dans le temps permis
net-dns-unknown = le nom est inconnu du DNS de cette machine
gw-transport = la requête à la passerelle a échoué : { $detail }. Réessayez ; si cela persiste, vérifiez le réseau
gw-answer-malformed = la réponse de la passerelle est arrivée, mais n'est pas du HTTP valide : { $why }. Réessayez ; si cela persiste, la passerelle ou quelque chose en chemin (un proxy) abîme ses réponses : prévenez l'exploitant de la passerelle
gw-redirect-refused = la passerelle a redirigé { $from } vers { $to }, un autre serveur ou une connexion non sécurisée ; stepwise ne suit pas cette redirection. Donnez à --api l'adresse propre de la passerelle
gw-redirect-same-server = l'adresse de la passerelle a redirigé { $from } vers { $to }, une page du même serveur qui n'est pas un appel steps (une page de connexion ou de portail, très probablement) ; stepwise ne la suit pas, et n'y envoie pas le jeton. Une passerelle steps répond à ses appels en JSON, pas par une redirection : demandez à qui gère ce serveur de laisser passer les appels de la passerelle, ou donnez à --api l'adresse propre de la passerelle
gw-redirect-to-https = la passerelle { $from } a déménagé vers { $to } (https://) ; stepwise ne suit pas de redirection. Mettez l'adresse https:// dans --api
gw-moved-away = la passerelle a redirigé { $from } vers { $to }, qui a répondu HTTP { $status } sans corps d'erreur de passerelle : --api a atteint la passerelle, et sa redirection mène là où aucune passerelle d'étapes ne répond. Prévenez l'exploitant de la passerelle ; si les étapes y ont déménagé pour de bon, essayez --api avec ce chemin
gw-foreign-list = la liste du stepsID { $asked } a été demandée, la passerelle a répondu la liste du stepsID { $answered } ; elle n'est pas montrée comme celle de ce véhicule. La passerelle a peut-être recommencé ce véhicule avec un nouveau stepsID : demandez par carAssociationID (`stepwise steps --car ID`) ; si cela persiste, un proxy ou un cache entre ici et la passerelle mélange les réponses
gw-foreign-next = la prochaine étape du stepsID { $asked } a été demandée, la passerelle en a répondu une du stepsID { $answered } ; elle n'est pas montrée comme celle de ce véhicule. La passerelle a peut-être recommencé ce véhicule avec un nouveau stepsID : demandez par carAssociationID (`stepwise steps --car ID`) ; si cela persiste, un proxy ou un cache entre ici et la passerelle mélange les réponses
gw-title-redirect = Redirection non suivie
gw-title-moved-away = Redirigé vers rien
gw-live-cut = le flux en direct de la passerelle a été coupé au milieu d'un événement. Il se reconnecte tout seul ; si cela se répète, vérifiez les proxys entre ce poste et la passerelle
gw-live-not-offered = la passerelle répond désormais à l'appel des événements comme une passerelle sans événements en direct (HTTP 404 ou 405, sans code 2346), bien qu'elle réponde aux listes : elle est peut-être revenue d'un redémarrage sans eux. Prévenez l'exploitant de la passerelle si le suivi en direct est attendu
gw-live-cut-direct = la passerelle a coupé son flux en direct au milieu d'un événement (aucun proxy n'est utilisé ici). Il se reconnecte tout seul ; si cela se répète, signalez-le à l'exploitant de la passerelle (ou à qui gère un proxy inverse devant elle)
gw-live-silent = le flux en direct de la passerelle n'a rien envoyé depuis { $secs } s, pas même un signal de maintien. Il se reconnecte tout seul ; si cela se répète, vérifiez le réseau
gw-live-silent-no-keepalive = le flux en direct de la passerelle a envoyé ses premiers événements, puis rien pendant { $secs } s, pas même le signal de maintien que le contrat demande au moins toutes les 15 s : la passerelle n'en envoie pas, ou un proxy sur le chemin les retient. Il se reconnecte tout seul, et un changement peut s'afficher jusqu'à { $secs } s en retard ; signalez-le à l'exploitant de la passerelle
gw-live-no-first-event = le flux en direct de la passerelle s'est ouvert mais n'a envoyé aucune liste en { $secs } s (tout au plus des signaux de maintien), alors que les listes actuelles arrivent aussitôt : un proxy le retient peut-être. Il se reconnecte tout seul, puis interroge les listes à la place
gw-live-no-first-event-direct = le flux en direct de la passerelle s'est ouvert mais n'a envoyé aucune liste en { $secs } s (des signaux de maintien au plus), alors que les listes actuelles arrivent tout de suite ; aucun proxy n'est utilisé ici, c'est donc la passerelle, ou un proxy inverse devant elle, qui les retient. Il se reconnecte tout seul, puis interroge les listes à la place ; signalez-le à l'exploitant de la passerelle
gw-live-other-events = le flux en direct de la passerelle a envoyé des événements de type « { $kind } », et aucun de type steps en { $secs } s : ses listes arrivent sous un autre type d'événement que celui du contrat, si bien qu'aucune n'est lue. Il se reconnecte tout seul, puis interroge les listes à la place ; prévenez l'exploitant de la passerelle que chaque liste doit arriver comme `event: steps` (ou sans ligne event)
gw-live-no-list-events = le flux en direct de la passerelle n'a envoyé que des événements de type « { $kind } », sans liste dedans, et aucune liste en { $secs } s, alors que les listes actuelles arrivent aussitôt. Il se reconnecte tout seul, puis interroge les listes à la place ; si cela dure, prévenez l'exploitant de la passerelle que le flux doit envoyer chaque liste aussitôt, comme `event: steps`
gw-live-not-text = le flux en direct de la passerelle n'est pas du texte UTF-8. Vérifiez que --api désigne bien une passerelle d'étapes
gw-live-bad-line = le flux en direct de la passerelle contient une ligne qui n'est pas un champ d'événement. Vérifiez que --api désigne bien une passerelle d'étapes
gw-live-lists = le suivi en direct porte sur 1 à 200 listes à la fois, pas { $count }
gw-live-said = le flux en direct de la passerelle a envoyé une erreur : { $said }. Il se reconnecte tout seul ; si cela se répète, prévenez l'exploitant de la passerelle
gw-live-said-cause = le flux en direct de la passerelle a envoyé une erreur : { $said }
gw-live-said-no-step = le flux en direct de la passerelle dit que ce stepsID n'a plus d'étape : { $said }. Reprenez avec le carAssociationID (l'assistant le fait tout seul)
gw-live-contradicted = le flux en direct de la passerelle pour { $count } listes a dit qu'un stepsID n'a plus d'étape ({ $said }), et pourtant chacune de ces listes répond quand on la demande par son stepsID : la passerelle se contredit, et on ne sait pas de quel véhicule il s'agissait. stepwise les suit désormais en interrogeant ; prévenez l'exploitant de la passerelle
gw-live-contradicted-one = le flux en direct de la passerelle a dit que ce stepsID n'a plus d'étape ({ $said }), et pourtant sa liste répond quand on la demande par ce stepsID : la passerelle se contredit. stepwise suit désormais la liste en interrogeant ; prévenez l'exploitant de la passerelle
gw-live-contradicted-unsent = { $count ->
    [one] Le flux n'avait envoyé aucune liste pour le stepsID { $ids } : peut-être celui qu'il visait
   *[other] Le flux n'avait envoyé aucune liste pour les stepsID { $ids } : il visait peut-être l'un d'eux
}
gw-live-left-out = le flux en direct de la passerelle a envoyé tout de suite les listes actuelles de { $sent } de ses { $lists } stepsIDs, mais pas { $count ->
        [one] celle du stepsID { $ids }, qu'il doit aussi
       *[other] celles des stepsIDs { $ids }, qu'il doit aussi
    } : un véhicule omis ne serait jamais suivi. Les listes sont demandées à la place ; signalez-le à l'exploitant de la passerelle
gw-live-refused = la passerelle refuse son flux en direct mais répond aux listes ({ $why }). Les listes sont demandées à la place
gw-live-refused-401-none = la passerelle refuse son flux en direct sans jeton (HTTP 401) mais répond aux listes sans jeton : `stepwise login` n'en trouve aucun nécessaire, donc aucune connexion n'y change rien. Les listes sont demandées à la place ; prévenez l'exploitant de la passerelle si le suivi en direct est attendu
gw-live-refused-401-sent = la passerelle refuse pour son flux en direct le jeton que ses listes acceptent (HTTP 401) : une nouvelle connexion en donne un pareil, donc n'y change rien. Les listes sont demandées à la place ; prévenez l'exploitant de la passerelle si le suivi en direct est attendu
gw-live-closed-soon = le flux en direct de la passerelle s'est fermé peu après avoir envoyé ses listes, { $times } fois de suite (chaque fois en moins d'une minute) : il ne reste pas ouvert, un changement s'afficherait donc en retard. Les listes sont demandées à la place ; signalez-le à l'exploitant de la passerelle
gw-live-page = l'appel d'événements de la passerelle a répondu par une page web (HTML) là où va son flux d'événements : quelque chose devant la passerelle (un proxy, un pare-feu) bloque peut-être les flux. Les listes sont demandées à la place ; demandez à qui gère le réseau devant la passerelle de laisser passer text/event-stream, et si rien n'est devant, prévenez l'exploitant de la passerelle
gw-live-page-titled = l'appel d'événements de la passerelle a répondu par une page web (HTML, « { $said } ») là où va son flux d'événements : quelque chose devant la passerelle (un proxy, un pare-feu) bloque peut-être les flux. Les listes sont demandées à la place ; demandez à qui gère le réseau devant la passerelle de laisser passer text/event-stream, et si rien n'est devant, prévenez l'exploitant de la passerelle
gw-live-compressed = le flux en direct de la passerelle est arrivé compressé ({ $encoding }), alors que stepwise n'en demande pas, donc ses octets ne sont pas des événements : la passerelle, ou un proxy en chemin, le compresse. Les listes sont demandées à la place ; demandez à l'exploitant de la passerelle (ou à qui gère le proxy) d'envoyer text/event-stream sans compression
gw-live-foreign = le flux en direct de la passerelle a envoyé une liste du stepsID { $answered }, qui ne lui était pas demandé, alors que { $count ->
    [one] la liste demandée répond
   *[other] les { $count } listes demandées répondent
} quand on les demande par stepsID, la liste affichée a donc été gardée telle quelle : prévenez l'exploitant de la passerelle (ou celui d'un proxy ou d'un cache entre les deux)
gw-user-info = l'URL de la passerelle contient un nom d'utilisateur ou un mot de passe (user:password@host), que stepwise ne montre ni n'envoie. Retirez-le de l'URL ; le jeton de la passerelle va dans --token-file, STEPWISE_TOKEN ou le fichier de configuration
gw-bad-url = l'URL de passerelle { $url } est inutilisable : { $reason }. Donnez-en une comme http://127.0.0.1:8080
url-no-host = elle n'a pas d'hôte
url-bad-port = son port n'est pas un nombre de 1 à 65535
url-bad-ip = son adresse IP n'est pas valide (une adresse IPv6 se met entre crochets, p. ex. http://[::1]:8080)
url-ipv6-brackets = son adresse IPv6 n'est pas entre crochets, son port ne peut donc pas en être distingué : écrivez-la http://[::1]:8080
url-port-twice = son port est écrit plus d'une fois (un second :nombre après l'hôte) : indiquez-le une seule fois
url-query = elle contient une requête (?…), que stepwise n'envoie jamais : donnez l'URL de base de la passerelle sans elle (un jeton va dans --token-file, STEPWISE_TOKEN ou `stepwise login`)
url-ipv6-zone = son adresse IPv6 porte une zone (%eth0), qu'un hôte d'URL ne peut pas porter ici : donnez l'adresse globale de la passerelle ou un nom d'hôte
url-ipv6-unclosed = son adresse IPv6 ouvre un crochet [ qu'aucun ] ne ferme : écrivez-la http://[::1]:8080
url-bad-host = son nom d'hôte contient un caractère qu'aucun nom d'hôte ne peut contenir (une espace ?)
url-not-absolute = ce n'est pas une URL complète
url-not-http = seuls http:// et https:// sont acceptés
gw-bad-path = impossible de construire l'URL de { $path } : { $detail }
gw-bad-token = le jeton contient des caractères qu'un en-tête ne peut pas porter ; vérifiez le fichier du jeton
gw-http-setup = impossible de préparer le client HTTP : { $detail }
gw-demo-unavailable = impossible de lancer le simulateur intégré sur un port local : { $detail }
gw-demo-state = le simulateur intégré ne peut pas garder son état dans { $folder } : { $detail }. Ce doit être un dossier où cet utilisateur peut écrire : corrigez ou retirez ce qui gêne, ou donnez une passerelle à --api
gw-demo-state-file = le simulateur intégré ne peut pas enregistrer son état dans { $file } : { $detail }. Ce fichier et son dossier doivent être modifiables par cet utilisateur (pas de disque plein, pas de fichier en lecture seule ou verrouillé) : corrigez cela, ou donnez à --api une passerelle. Aucune passerelle n'est en cause : il n'y en a pas
gw-400 = la passerelle a refusé la requête comme mal formée
gw-400-todo = Vérifiez l'id saisi ; s'il est juste, signalez un bogue
gw-400-said-todo = Ses mots disent ce qu'elle a refusé (l'ID a été vérifié avant l'envoi). S'ils nomment un en-tête ou un paramètre, quelque chose en chemin (un proxy) peut modifier les requêtes : prévenez qui gère le réseau ; sinon signalez un bogue
gw-400-filter-todo = Ses mots nomment le filtre de statut (stepsStatus) : cette passerelle ne le prend pas. Listez sans lui (sans --status ; dans l'assistant, f jusqu'à ce que le filtre soit sur tous), et prévenez l'exploitant de la passerelle si vous en avez besoin
gw-400-filter-unchosen-todo = Ses mots nomment le filtre de statut (stepsStatus), alors qu'aucun n'a été choisi : stepwise demande toutes les étapes (stepsStatus=all, la valeur par défaut du contrat, puis sans stepsStatus du tout), et aucun choix ici n'y change rien. Signalez à l'exploitant de la passerelle que cet appel est refusé
gw-400-id-todo = Ses mots nomment l'identifiant : la passerelle ne prend pas celui donné (sa règle pour les identifiants peut être plus stricte que lettres a–z, A–Z, chiffres, - et _). Vérifiez l'identifiant avec le compte du client
gw-400-coded = la passerelle a refusé la requête avec un code de l'application
gw-400-coded-todo = Ce que le code signifie et ce qui le résout suivent
gw-401 = la passerelle demande un jeton valide
gw-401-todo = Connectez-vous avec `stepwise login`, ou donnez un jeton avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-403 = ce stepsID appartient à un autre appareil
gw-403-todo = Recommencez avec le carAssociationID
gw-403-refused = la passerelle refuse cette requête
gw-403-refused-todo = Ses mots disent pourquoi (un compte ou un véhicule qu'elle n'autorise pas) ; vérifiez le carAssociationID avec le compte du client, ou demandez à l'exploitant de la passerelle
gw-404 = la passerelle ne connaît pas cet id
gw-404-todo = Vérifiez le carAssociationID ou le stepsID et réessayez
gw-404-steps-id = la passerelle n'a aucune étape pour ce stepsID : elle ne le connaît pas, ou l'a oublié
gw-404-steps-id-todo = Redemandez la liste par carAssociationID (`stepwise steps --car ID`) : elle donne le stepsID actuel du véhicule
gw-404-unnamed = rien n'a été trouvé pour cet appel à cette adresse : un id que la passerelle ne connaît pas, ou un chemin que rien n'y sert
gw-404-unnamed-todo = Vérifiez le carAssociationID ou le stepsID ; si chaque id reçoit cette réponse, --api ne pointe pas vers la passerelle d'étapes (le 404 d'un routeur) : vérifiez --api
gw-404-call = la passerelle a refusé l'appel de l'étape suivante, sans le code 2346 (sa marque d'un stepsID qu'elle ne connaît pas)
gw-call-not-served = la passerelle ne sert pas l'appel de l'étape suivante (une méthode ou un appel qu'elle n'offre pas), quel que soit le stepsID
gw-404-call-todo = Si `stepwise steps --steps-id ID` affiche les étapes de ce véhicule, l'id est juste et la passerelle n'offre pas l'appel de l'étape suivante, ou quelque chose devant elle ne le transmet pas : prévenez l'exploitant de la passerelle. Cette liste montre aussi l'étape suivante (marquée NEXT)
gw-404-no-steps = la passerelle n'a aucune étape pour ce carAssociationID
gw-404-no-steps-todo = Vérifiez le carAssociationID ; s'il est juste, ce véhicule n'a pas d'étapes d'activation des services sur cette passerelle : demandez pourquoi à qui l'exploite
gw-409 = la passerelle refuse : une étape précédente n'est pas faite
gw-409-todo = Terminez d'abord les étapes précédentes
gw-429 = la passerelle limite les requêtes
gw-408 = la passerelle, ou quelque chose devant elle, a cessé d'attendre la requête entière (une connexion lente ou rompue), ce qui n'est pas un refus
gw-408-todo = Réessayez ; si cela persiste, prévenez l'exploitant de la passerelle (ou qui gère le réseau devant elle)
gw-429-todo = Attendez une minute, puis réessayez
gw-429-todo-past = Elle limite toujours après l'attente que demandait son Retry-After (stepwise l'a attendue et a redemandé) : attendez une minute, puis réessayez ; si cela continue, prévenez l'exploitant de la passerelle
gw-429-todo-after = Attendez { $secs } s (le Retry-After de la réponse), puis réessayez
gw-429-todo-absurd = Elle demande d'attendre { $wait } (son Retry-After), ce qu'aucune limite de requêtes n'exige : son horloge ou son réglage est faux. Prévenez l'exploitant de la passerelle
gw-5xx = la passerelle a échoué
gw-proxy-5xx = le proxy a répondu par sa propre page d'erreur (la passerelle n'a peut-être pas été jointe)
gw-5xx-todo = Réessayez dans une minute ; si cela persiste, prévenez l'exploitant de la passerelle
gw-5xx-todo-after = Réessayez dans { $secs } s (le Retry-After de la réponse) ; si cela persiste, prévenez l'exploitant de la passerelle
gw-5xx-todo-absurd = Elle demande d'attendre { $wait } (son Retry-After), ce qu'aucun redémarrage n'exige : son horloge ou son réglage est faux. Réessayez dans une minute ; si cela persiste, prévenez l'exploitant de la passerelle
gw-other = la passerelle a refusé la requête
gw-3xx = aucune liste n'est revenue : une redirection sans adresse utilisable, ou un « non modifié » d'un cache à une requête qui n'en demandait pas
gw-3xx-todo = Quelque chose entre ici et la passerelle (un proxy, un cache), ou la passerelle, est mal configuré : vérifiez --api, et prévenez qui gère le réseau ou la passerelle
gw-other-todo = Vérifiez --api et réessayez
gw-other-said-todo = Ses mots disent pourquoi ; s'ils n'aident pas, prévenez l'exploitant de la passerelle
gw-reset-refused = la passerelle a refusé de vider le cache des étapes
gw-reset-refused-todo = Le vider à nouveau n'y changera rien. Ses mots disent pourquoi : s'ils disent que le compte ou l'appareil est bloqué, supprimez toutes les inscriptions du compte du client et recommencez ; sinon, prévenez l'exploitant de la passerelle
gw-reset-refused-conflict-todo = Un conflit (HTTP 409) peut signifier qu'un vidage ou un changement est déjà en cours pour ce véhicule : attendez un moment, puis videz-le à nouveau ; si cela persiste, prévenez l'exploitant de la passerelle
gw-reset-refused-call-todo = HTTP { $status } ne dit pas que le compte ou l'appareil est bloqué : la passerelle, ou quelque chose devant elle, n'a pas accepté l'appel tel qu'il a été envoyé. Vérifiez --api ; s'il est juste, prévenez l'exploitant de la passerelle, avec ses mots
gw-app-code = Code de l'application { $code } : { $meaning } ; { $remedy }
gw-app-code-meaning = Code de l'application { $code } : { $meaning }.
gw-code = code { $code }
gw-title-redirects = Boucle de redirections
steps-many-summary-late = sans liste en { $secs } s (sans réponse, ou pas encore interrogé : stderr dit lequel) : { $n } ({ $ids })
steps-many-summary-failed = en échec : { $n } ({ $ids }), les causes sont sur stderr
steps-many-summary = Véhicules listés : { $listed } sur { $total }
cli-shared-steps-id = un même stepsID ({ $id }) est venu pour { $count } véhicules ({ $cars }). Un stepsID appartient à un seul véhicule : un proxy ou un cache entre ici et la passerelle (qui ignore la requête), ou la passerelle elle-même, mélange les réponses, et ces listes peuvent être celles d'un autre véhicule. Ne vous y fiez pas ; prévenez l'exploitant de la passerelle (et l'administrateur du réseau, là où un proxy est réglé)
steps-many-late = pas de réponse dans le délai de { $secs } s (--deadline) ; il répondra peut-être à un prochain passage
steps-many-unsent = pas interrogé avant le délai de { $secs } s (--deadline) : il attendait son tour, les véhicules étant interrogés quelques-uns à la fois (--concurrency). Donnez un --deadline plus long, ou un --concurrency plus élevé
steps-many-unsent-hung = pas interrogé avant le délai de { $secs } s (--deadline) : les véhicules interrogés avant lui n'ont pas eu de réponse (la passerelle est occupée ou bloquée), un --deadline plus long ou un --concurrency plus élevé ne ferait qu'envoyer plus de requêtes dans la même attente. Relancez quand la passerelle répond (`stepwise doctor` le vérifie) ; si cela dure, signalez-le à l'exploitant de la passerelle
steps-many-limited = la passerelle a limité les requêtes (HTTP 429) jusqu'à l'échéance de { $secs } s (--deadline) : elle a répondu, mais a demandé d'attendre. Si l'attente demandée (dite sur stderr) dépasse { $secs } s, donnez une --deadline plus longue que cette attente ; sinon, elle continue de limiter ce client : réessayez plus tard, ou interrogez l'exploitant de la passerelle sur sa limite
steps-many-limited-longer = la passerelle a limité les requêtes (HTTP 429) jusqu'à l'échéance de { $secs } s (--deadline) : elle a demandé d'attendre { $wait } s, plus longtemps que l'échéance. Donnez une --deadline au-delà de { $wait } s, ou relancez après cette attente
steps-many-limited-again = la passerelle a continué de limiter les requêtes (HTTP 429) jusqu'à l'échéance de { $secs } s (--deadline) : après les { $wait } s d'attente demandés, elle les a limitées à nouveau. Elle continue de limiter ce client : réessayez plus tard, ou interrogez l'exploitant de la passerelle sur sa limite
steps-many-held-unsent = non demandé : la limite de la passerelle (HTTP 429, répondu à une autre requête) a retenu chaque requête jusqu'au délai de { $secs } s (--deadline). Si l'attente demandée (dite sur stderr) dépasse { $secs } s, donnez un --deadline plus long que cette attente ; sinon, elle continue de limiter ce client : réessayez plus tard, ou interrogez l'exploitant de la passerelle sur sa limite
steps-many-retry-held = Sa nouvelle tentative a ensuite été retenue par la limite de la passerelle (HTTP 429, demandé à une autre requête) jusqu'au délai de { $secs } s (--deadline).
steps-many-paused = La limite de la passerelle (HTTP 429, demandé à une autre requête) retient toute requête encore { $secs } s : réessayez ensuite.
steps-many-summary-limited = retenus par HTTP 429 jusqu'à { $secs } s : { $n } ({ $ids })
steps-many-summary-shared = sous un stepsID sous lequel la liste d'un autre véhicule est aussi venue, à ne pas croire (stderr dit pourquoi) : { $n } ({ $ids })
gw-title-token-refused = Jeton refusé
gw-title-scope = Portée manquante
gw-title-proxy = Réponse du proxy
gw-title-proxy-unreachable = Proxy injoignable
gw-title-not-a-gateway = Pas une passerelle d'étapes
gw-title-no-list-here = Pas de liste pour cet identifiant
gw-title-call-not-offered = Appel non offert
gw-title-refused = Accès refusé
gw-title-captive-portal = Connexion au réseau requise
gw-connect-timed-out = aucune connexion à { $base } en { $secs } s : personne ne l'a acceptée (serveur surchargé, ou pare-feu qui ignore les paquets). Vérifiez le réseau et --api, puis réessayez
gw-redirects = la passerelle { $base } redirige en boucle, ou trop de fois. Vérifiez --api (l'adresse a peut-être changé) ; si elle est juste, prévenez l'exploitant de la passerelle
gw-wants-tls = le serveur { $base } parle TLS, mais --api indique http://. Utilisez https:// dans --api
gw-port-plain-http = le serveur { $base } parle HTTP simple, pas TLS, alors que --api dit https://. Mettez http:// dans --api, ou le port où il sert HTTPS
gw-port-not-http = le serveur { $base } ne parle ni HTTP ni TLS (il a commencé par « { $said } ») : le port de --api est celui d'un autre service. Vérifiez le port
gw-port-not-http-here = le serveur { $base } a répondu à cette requête par quelque chose qui n'est ni HTTP ni TLS : un serveur défaillant, ou pas la passerelle. Vérifiez --api
gw-port-tls-closed = le serveur { $base } a pris la connexion, puis l'a fermée pendant la négociation TLS : il ne parle peut-être pas TLS sur ce port, ou il refuse ce client. Vérifiez le port de --api ; `stepwise doctor` en dit plus
gw-port-tls-silent = le serveur { $base } a pris la connexion mais n'a fait aucune négociation TLS en { $secs } s : le port ne parle peut-être pas TLS, ou le serveur est bloqué. Vérifiez le port de --api ; s'il est juste, prévenez l'exploitant de la passerelle
gw-401-login = HTTP 401 : la passerelle a refusé le jeton de la connexion gardée par `stepwise login`. Reconnectez-vous avec `stepwise login` ; pour une passerelle à jeton fixe, gardez le jeton actuel avec `stepwise login --with-token`
gw-token-dropped = HTTP 401 : la passerelle répond comme si aucun jeton ne l'avait atteinte (son défi ne nomme aucune erreur), bien que le jeton de { $from } soit parti par le proxy { $proxy } : le proxy retire peut-être l'en-tête Authorization, donc tout jeton serait refusé de même. Définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy, ou demandez à l'exploitant du proxy de laisser passer l'en-tête Authorization
gw-401-login-expired = HTTP 401 : le jeton de la connexion gardée par `stepwise login` a expiré il y a { $ago }, et le fournisseur d'identité n'a donné aucun jeton de rafraîchissement pour le renouveler : c'est pourquoi la passerelle le refuse. Reconnectez-vous avec `stepwise login`
gw-401-login-no-signin = HTTP 401 : la passerelle a refusé le jeton conservé par `stepwise login --with-token`. Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Demandez-lui son jeton actuel et gardez-le avec `stepwise login --with-token`
gw-401-config = HTTP 401 : la passerelle a refusé le jeton du fichier de configuration (`token` ou `token_file`). Mettez-y le jeton actuel de cette passerelle, ou retirez-le et connectez-vous avec `stepwise login`
gw-401-environment = HTTP 401 : la passerelle a refusé le jeton de STEPWISE_TOKEN. Donnez-lui le jeton actuel de cette passerelle, ou supprimez la variable et connectez-vous avec `stepwise login`
gw-401-environment-login-kept = HTTP 401 : la passerelle a refusé le jeton de STEPWISE_TOKEN, qui passe avant la connexion gardée pour cette passerelle. Supprimez STEPWISE_TOKEN pour utiliser cette connexion (la passerelle vient de l'accepter), ou donnez-lui le jeton actuel de cette passerelle
gw-401-environment-login-refused = HTTP 401 : la passerelle a refusé le jeton de STEPWISE_TOKEN, et la connexion gardée pour cette passerelle aussi (essayée à l'instant). Donnez à STEPWISE_TOKEN le jeton actuel de cette passerelle ; la connexion gardée doit aussi être renouvelée (`stepwise login`, ou `stepwise login --with-token` si la passerelle ne propose pas de connexion)
gw-401-token-file = HTTP 401 : la passerelle a refusé le jeton de --token-file. Mettez dans ce fichier le jeton actuel de cette passerelle, ou retirez --token-file et connectez-vous avec `stepwise login`
gw-401-token-file-login-kept = HTTP 401 : la passerelle a refusé le jeton de --token-file, qui passe avant la connexion gardée pour cette passerelle. Retirez --token-file pour utiliser cette connexion (la passerelle vient de l'accepter), ou mettez dans ce fichier le jeton actuel de cette passerelle
gw-401-token-file-login-refused = HTTP 401 : la passerelle a refusé le jeton de --token-file, et la connexion gardée pour cette passerelle aussi (essayée à l'instant). Mettez dans ce fichier le jeton actuel de cette passerelle ; la connexion gardée doit aussi être renouvelée (`stepwise login`, ou `stepwise login --with-token` si la passerelle ne propose pas de connexion)
gw-401-none = HTTP 401 : la passerelle demande un jeton, et aucun n'a été envoyé. Connectez-vous avec `stepwise login`, ou donnez un jeton avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-401-expired = Le jeton a expiré il y a { $ago }, selon l'échéance inscrite dedans : c'est pourquoi il est refusé
gw-401-said = La passerelle dit : « { $said } »
gw-401-none-no-signin = HTTP 401 : la passerelle demande un jeton, et aucun n'a été envoyé. Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Gardez ce jeton avec `stepwise login --with-token`, ou donnez-le avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-404-demo = HTTP 404 : le backend de démonstration ne connaît pas cet id{ $said }. Aucune passerelle n'est configurée (ni --api, ni STEPWISE_API, ni `api` dans le fichier de configuration) : c'est la démo intégrée qui a répondu, et elle ne connaît que { $ids }. Pour interroger votre passerelle, donnez --api URL
gw-404-demo-steps-id = HTTP 404 : le backend de démonstration ne connaît pas ce stepsID{ $said }. Aucune passerelle n'est configurée (ni --api, ni STEPWISE_API, ni `api` dans le fichier de configuration) : c'est la démo intégrée qui a répondu. Ses stepsIDs viennent avec une liste demandée par carAssociationID (elle connaît { $ids }) : `stepwise steps --car ID` en donne un. Pour interroger votre passerelle, donnez --api URL
gw-404-demo-wizard = HTTP 404 : le backend de démonstration ne connaît pas cet id{ $said }. Aucune passerelle n'est configurée (ni --api, ni STEPWISE_API, ni `api` dans le fichier de configuration) : c'est la démo intégrée qui a répondu ; l'écran d'accueil propose les ids qu'elle connaît. Pour interroger votre passerelle, quittez et relancez avec --api URL
gw-404-demo-board = HTTP 404 : le backend de démonstration ne connaît pas cet id{ $said }. Aucune passerelle n'est configurée (ni --api, ni STEPWISE_API, ni `api` dans le fichier de configuration) : c'est la démo intégrée qui a répondu, et elle ne connaît que ses propres véhicules (`stepwise demo --board` ouvre un tableau de tous). Pour interroger votre passerelle, quittez et relancez avec --api URL
gw-404-demo-command = HTTP 404 : le backend de démonstration ne connaît pas cet id{ $said }. `stepwise demo` tourne toujours sur la démo intégrée, qui ne connaît que ses propres ids (ceux qu'elle propose). Pour interroger votre passerelle, quittez et lancez `stepwise --api URL --car ID`, ou `stepwise fleet --api URL --cars FICHIER` pour un tableau
gw-401-login-unreadable = HTTP 401 : la passerelle demande un jeton, et aucun n'a été envoyé : les connexions gardées par `stepwise login` n'ont pas pu être lues : { $why }. Ou donnez un jeton avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-401-login-damaged = HTTP 401 : la passerelle demande un jeton, et aucun n'a été envoyé : { $why }, puis lancez `stepwise login` pour vous reconnecter. Ou donnez un jeton avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
gw-401-config-no-signin = HTTP 401 : la passerelle a refusé le jeton du fichier de configuration (`token` ou `token_file`). Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Mettez-y le jeton actuel de cette passerelle
gw-401-environment-no-signin = HTTP 401 : la passerelle a refusé le jeton de STEPWISE_TOKEN. Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Donnez à STEPWISE_TOKEN le jeton actuel de cette passerelle
gw-401-token-file-no-signin = HTTP 401 : la passerelle a refusé le jeton de --token-file. Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Mettez dans ce fichier le jeton actuel de cette passerelle
gw-proxy-other-todo = Vérifiez { $from } (la variable du proxy utilisée), définissez NO_PROXY pour l'hôte de la passerelle si elle est joignable sans le proxy, ou demandez à qui gère le proxy
gw-proxy-429-todo = Le proxy limite les requêtes : attendez quelques minutes (son Retry-After, s'il en a donné un), puis réessayez ; si cela continue, demandez à qui gère le proxy
gw-proxy-429-wait-todo = Le proxy limite les requêtes et demande d'attendre { $secs } s : réessayez après ; si cela continue, demandez à qui exploite le proxy
gw-proxy-unset-407 = un proxy de ce réseau a répondu lui-même HTTP { $status }{ $said }, alors qu'aucun n'est réglé ici : la requête n'a donc jamais atteint la passerelle. Réglez HTTPS_PROXY (HTTP_PROXY pour une passerelle http://) sur http://utilisateur:motdepasse@proxy:port avec l'adresse de ce proxy, ou demandez à l'administrateur du réseau
gw-proxy-unreachable = impossible de se connecter au proxy { $proxy } (de { $from }) : { $detail }. La passerelle n'a pas été interrogée. Vérifiez la variable du proxy, ou mettez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-silent = le proxy { $proxy } (de { $from }) n'a ouvert aucun chemin vers { $host } en { $secs } s : il n'a pas pris la connexion, ou l'a prise sans jamais répondre. La passerelle n'a pas été interrogée. Vérifiez que le proxy fonctionne et que la variable de proxy le désigne, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-tunnel = le proxy { $proxy } (de { $from }) n'a pas ouvert de tunnel (CONNECT) vers { $host } : la requête n'a jamais atteint la passerelle ; il refuse cet hôte et ce port, ou il n'a pas pu joindre la passerelle (arrêtée, ou un nom que le proxy ne connaît pas). Vérifiez que la passerelle tourne et que l'hôte de --api est juste, demandez à qui gère le proxy s'il laisse passer cet hôte et ce port, ou mettez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-no-tunnel = ce que désigne { $from }, { $proxy }, a répondu HTTP { $status } à CONNECT : il n'ouvre aucun tunnel, c'est donc un serveur web, ou un proxy qui ne sait pas transporter https://. La passerelle n'a pas été interrogée. Vérifiez { $from } : il doit désigner un proxy HTTP qui tunnelise https (souvent port 3128 ou 8080)
gw-proxy-tunnel-closed = le proxy { $proxy } (de { $from }) a ouvert un tunnel vers { $host }, puis il a été fermé pendant la négociation TLS : le proxy, ou ce qui est derrière, l'a coupé. Demandez à qui gère le proxy s'il laisse passer TLS vers cet hôte, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
tls-or-plain-http = Ou la passerelle au bout parle HTTP simple sur ce port, alors que --api dit https:// : utilisez alors http:// dans --api (`stepwise doctor` sans le proxy, NO_PROXY={ $host }, dit lequel)
gw-proxy-garbled = ce qui est revenu par le proxy { $proxy } (de { $from }) n'est pas du HTTP : la variable du proxy désigne peut-être autre chose qu'un proxy HTTP, ou le proxy est défaillant. Vérifiez la variable du proxy, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-empty = la réponse venue par le proxy { $proxy } (de { $from }) est vide, là où une liste d'étapes JSON était attendue : le proxy a peut-être répondu lui-même, ou transmis une réponse vide. Vérifiez la variable du proxy, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-html = ce qui est venu par le proxy { $proxy } (de { $from }) est une page HTML, là où une liste d'étapes JSON était attendue : la page du proxy lui-même (une page de connexion ou un portail), ou un serveur web à l'adresse de --api. Définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy ; sinon, vérifiez que --api désigne une passerelle d'étapes
gw-proxy-no-list = ce qui est venu par le proxy { $proxy } (de { $from }) n'est pas une liste d'étapes : { $why }. Le proxy a peut-être répondu lui-même, ou ce qui répond à l'adresse de --api n'est pas une passerelle d'étapes. Définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy ; si des listes sont déjà venues de ce --api, demandez à qui gère le proxy ce qu'il a répondu ; sinon, vérifiez que --api désigne une passerelle d'étapes
gw-proxy-too-large = ce qui est venu par le proxy { $proxy } (de { $from }) dépasse { $kib } Kio et n'a pas été lu plus loin : aucune liste d'étapes n'est si grande. Le proxy a peut-être répondu lui-même, ou ce qui répond à l'adresse de --api n'est pas une passerelle d'étapes. Définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy ; si des listes sont déjà venues de ce --api, demandez à qui gère le proxy ce qu'il a répondu ; sinon, vérifiez que --api désigne une passerelle d'étapes
gw-proxy-closed = le proxy { $proxy } (de { $from }) a fermé la connexion sans réponse : on ne sait pas si la passerelle a été interrogée. Réessayez ; si cela persiste, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-connect-closed = le proxy { $proxy } (de { $from }) a fermé la connexion sans répondre à la demande de tunnel (CONNECT) vers { $host }, donc la passerelle n'a pas été interrogée. Réessayez ; si cela persiste, demandez à qui gère le proxy s'il laisse passer cet hôte, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-proxy-5xx-todo = Le proxy n'a pas transmis cette requête. Si rien ne passe par lui vers cette --api, vérifiez que la passerelle tourne et que --api est juste ; si d'autres requêtes passent (les listes d'autres véhicules), le proxy fait échouer celle-ci : demandez à qui le gère
gw-proxy-5xx-wait-todo = Le proxy n'a pas transmis cette requête, et demande d'attendre { $secs } s (son Retry-After) : réessayez ensuite. Si rien ne passe par lui vers cette --api, vérifiez que la passerelle tourne et que --api est juste ; si d'autres requêtes passent (les listes d'autres véhicules), le proxy échoue sur celle-ci : demandez à qui le gère
gw-proxy-loopback = la passerelle est sur cette machine ({ $host }), mais { $from } envoie ses requêtes au proxy { $proxy }, qui a répondu lui-même HTTP { $status } : la requête n'a jamais atteint la passerelle. Le proxy (ou celui vers lequel il transmet) ne peut pas joindre les adresses propres à cette machine : mettez NO_PROXY={ $host } et réessayez
gw-proxy-loopback-tunnel = la passerelle est sur cette machine ({ $host }), mais { $from } envoie ses requêtes au proxy { $proxy }, qui n'a pas ouvert de tunnel (CONNECT) vers elle : la requête n'a jamais atteint la passerelle. Le proxy (ou celui vers lequel il transmet) ne peut pas joindre les adresses propres à cette machine : mettez NO_PROXY={ $host } et réessayez
gw-proxy-loopback-down = rien n'écoute à { $host }:{ $port }, l'adresse de la passerelle sur cette machine (essayé directement) : la passerelle n'y tourne pas, si bien que le proxy { $proxy } (de { $from }) n'a pas pu la joindre non plus. Vérifiez que la passerelle tourne et que le port de --api est le bon
gw-proxy-refused-todo = Le proxy a refusé son nom d'utilisateur et son mot de passe : vérifiez-les dans la variable du proxy (http://utilisateur:motdepasse@proxy:port), ou demandez à qui gère le proxy
gw-proxy-401-basic-todo = Il demande un nom d'utilisateur et un mot de passe (Basic) avec HTTP 401. Un proxy qui demande ainsi (tinyproxy le fait) les prend dans la variable du proxy (http://user:password@proxy:port) ; la connexion d'un serveur web derrière le proxy n'en prend aucun, et stepwise ne sait pas y répondre : demandez alors à qui le gère, ou définissez NO_PROXY pour l'hôte de la passerelle si elle est joignable directement
gw-proxy-401-basic-refused-todo = Il demande un nom d'utilisateur et un mot de passe (Basic) avec HTTP 401 bien que la variable du proxy en porte : le proxy les a refusés (vérifiez-les, avec les caractères comme @ et les deux-points encodés en pourcentage), ou la connexion est celle d'un serveur web derrière le proxy, qui n'en prend aucun dans la variable du proxy et à laquelle stepwise ne sait pas répondre. Demandez à qui gère le proxy, ou définissez NO_PROXY pour l'hôte de la passerelle si elle est joignable directement
gw-proxy-portal-todo = Le proxy, ou un portail devant lui, demande une connexion à lui (celle d'un portail, ou un schéma autre que Basic), à laquelle aucun nom d'utilisateur ni mot de passe dans la variable du proxy ne répond : connectez-vous-y dans un navigateur sur cette machine, ou demandez à qui gère le proxy ; ou définissez NO_PROXY pour l'hôte de la passerelle si elle est joignable directement
gw-proxy-forbidden-todo = Le proxy refuse cette requête selon ses propres règles (cette adresse, ou ce client) : demandez à qui gère le proxy de laisser passer l'adresse de la passerelle, ou mettez NO_PROXY pour l'hôte de la passerelle s'il est joignable sans le proxy
gw-proxy-credentials-refused = le proxy { $proxy } (de { $from }) a refusé le nom d'utilisateur et le mot de passe de la variable de proxy (HTTP 407), la requête n'a donc jamais atteint la passerelle. Vérifiez-les (http://utilisateur:motdepasse@proxy:port, les caractères comme @ ou : y étant encodés en pourcent), ou demandez à qui gère le proxy
gw-proxy-407-todo = Le proxy demande un nom d'utilisateur et un mot de passe : mettez-les dans la variable du proxy (http://utilisateur:motdepasse@proxy:port), ou définissez NO_PROXY pour l'hôte de la passerelle s'il est joignable en direct
gw-proxy-windows-todo = Le proxy demande une connexion Windows (Negotiate ou NTLM), que stepwise ne sait pas fournir : aucun nom d'utilisateur ni mot de passe dans la variable du proxy n'y répond. Demandez à qui gère le proxy de laisser passer l'adresse de la passerelle sans elle (ou de proposer Basic), ou définissez NO_PROXY pour l'hôte de la passerelle si elle est joignable directement
gw-proxy = le proxy { $proxy } (de { $from }) a répondu lui-même HTTP { $status }{ $said } : la requête n'a jamais atteint la passerelle. { $todo }
gw-not-a-gateway = { $base } a répondu HTTP { $status } sans le corps d'erreur d'une passerelle : cette adresse n'est pas une passerelle d'étapes (un mauvais chemin dans --api, ou un autre serveur web). Donnez à --api l'URL de base sous laquelle se trouve pims/subscription/steps, par exemple https://passerelle.example/ ou https://hote/prefixe/
gw-not-a-gateway-listed = { $base } a répondu HTTP { $status } sans le corps d'erreur d'une passerelle, alors que les listes d'autres véhicules sont venues de cette adresse pendant cette session : --api est juste, et la passerelle ne connaît très probablement pas cet identifiant. Vérifiez l'identifiant ; s'il est juste, signalez-le à l'exploitant de la passerelle (une route placée devant elle peut refuser cette seule requête)
gw-not-a-gateway-proxy = { $base } a répondu HTTP { $status } à travers le proxy { $proxy }, sans le corps d'erreur d'une passerelle : la page du proxy lui-même (un nom d'hôte qu'il n'a pas pu résoudre ou joindre), ou une adresse qui n'est pas une passerelle d'étapes. Vérifiez le nom d'hôte dans --api, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy ; si l'hôte est juste, donnez à --api l'URL de base sous laquelle se trouve pims/subscription/steps, par exemple https://passerelle.example/
gw-call-not-offered = { $base } a répondu HTTP { $status } sans corps d'erreur de passerelle à l'appel { $call }. Si la liste par carAssociationID fonctionne à cette adresse (`stepwise steps --car ID`), --api est juste et la passerelle n'offre pas cet appel, ou quelque chose devant elle ne le transmet pas : prévenez l'exploitant de la passerelle. Sinon, --api n'est pas l'URL de base d'une passerelle d'étapes : donnez-lui celle sous laquelle se trouve pims/subscription/steps, comme https://gateway.example/
gw-not-a-gateway-path = { $base } a répondu HTTP { $status } : --api contient le chemin de l'appel ({ $path }), que stepwise ajoute lui-même. Donnez à --api l'adresse qui le précède : { $suggested }
gw-basic-prompt = { $base } demande un nom d'utilisateur et un mot de passe (HTTP 401, Basic) : l'identification d'un serveur web ou d'un proxy inverse, à laquelle stepwise ne peut pas répondre ; une passerelle d'étapes prend un jeton bearer. Vérifiez --api, ou demandez à qui gère ce serveur de laisser passer les requêtes de la passerelle
gw-windows-prompt = { $base } demande la connexion Windows (HTTP 401, Negotiate ou NTLM) : l'identification d'un serveur web ou d'un proxy inverse, à laquelle stepwise ne peut pas répondre ; une passerelle d'étapes prend un jeton bearer. Vérifiez --api, ou demandez à qui gère ce serveur de laisser passer les requêtes de la passerelle
gw-refused = { $base } a répondu HTTP { $status }{ $said }{ $via } sans corps d'erreur de la forme du contrat de la passerelle : pris comme un accès refusé par un élément placé devant la passerelle (un pare-feu, un pare-feu applicatif ou un proxy inverse), et non comme un stepsID refusé. Vérifiez le jeton et ses droits ; s'ils sont bons, demandez à qui gère le réseau s'il bloque cette adresse
gw-refused-no-token = { $base } a répondu HTTP { $status }{ $said }{ $via } sans corps d'erreur de la forme du contrat de la passerelle : pris comme un accès refusé par un élément placé devant la passerelle (un pare-feu, un pare-feu applicatif ou un proxy inverse), et non comme un stepsID refusé. Aucun jeton n'a été envoyé. Là où aucun véhicule n'obtient sa liste de cette passerelle sans jeton, la passerelle en veut peut-être un : donnez-le (--token-file CHEMIN, STEPWISE_TOKEN, `stepwise login` ou, là où la passerelle n'offre pas de connexion, `stepwise login --with-token`). Là où d'autres véhicules obtiennent leurs listes de cette passerelle sans jeton, il n'en manque pas : demandez à qui gère le réseau ou la passerelle pourquoi l'appel de ce véhicule est bloqué
gw-refused-via-proxy = { $base } a répondu HTTP { $status }{ $said } à travers le proxy { $proxy }, sans le corps d'erreur d'une passerelle : le proxy, ou quelque chose devant la passerelle, a refusé la requête. Demandez à qui gère le proxy s'il laisse passer cette adresse, ou mettez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-401-via-proxy = { $base } a répondu HTTP 401{ $said } à travers le proxy { $proxy }, une page web, pas le corps d'erreur d'une passerelle : le proxy, un portail devant lui, ou quelque chose devant la passerelle (un proxy inverse, un serveur web) demande une connexion à lui, à laquelle aucun jeton de la passerelle ne répond. Connectez-vous-y dans un navigateur sur cette machine, ou demandez à qui gère le proxy et la passerelle ; ou mettez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
gw-401-bare-through-proxy = Cette réponse est passée par le proxy { $proxy } (de { $from }) sous la forme d'un HTTP 401 nu, sans corps ni défi, que le proxy lui-même a pu donner : si un jeton ne le fait pas passer, demandez à qui gère le proxy s'il demande une connexion à lui, ou mettez NO_PROXY={ $host } si la passerelle est joignable directement
gw-front-400 = { $base } a répondu HTTP { $status }{ $said }{ $via } par une page web, sans corps d'erreur de passerelle : quelque chose devant la passerelle (un proxy inverse ou un pare-feu applicatif web) a refusé la requête, la passerelle n'y a donc jamais donné suite. L'identifiant n'y est pour rien (stepwise le vérifie avant l'envoi), et --api est juste si des listes en sont déjà venues : demandez à qui gère cette adresse ce que signifie sa page
gw-front-401 = { $base } a répondu HTTP 401{ $said } avec une page web et sans défi de connexion (pas d'en-tête WWW-Authenticate), là où une passerelle d'étapes répond avec son corps d'erreur et dit comment elle veut son jeton : quelque chose devant la passerelle (un proxy inverse, un serveur web ou un portail) demande sa propre connexion. Si des listes sont venues de cette adresse sans jeton auparavant, aucun jeton de passerelle ne manque : demandez à qui exploite le réseau ou la passerelle ce qui demande cette connexion ; sinon, demandez-leur si la passerelle veut un jeton à cet endroit
gw-title-unreachable = Passerelle injoignable
gw-title-timed-out = Délai d'attente dépassé
gw-title-timed-out-proxy = Pas de réponse par le proxy
gw-title-bad-request = Requête refusée
gw-title-unauthorized = Jeton requis
gw-title-wrong-device = stepsID d'un autre appareil
gw-title-forbidden = Refusé par la passerelle
gw-title-not-found = Id inconnu
gw-title-no-steps = Aucune étape
gw-title-conflict = Ordre non respecté
gw-title-reset-refused = Vidage refusé
gw-title-too-many = Trop de requêtes
gw-title-server-failure = Panne de la passerelle
gw-title-failed = Requête échouée
gw-title-too-large = Réponse trop grande
gw-title-bad-answer = Réponse inutilisable
gw-title-config = Configuration incorrecte

## The guidance pages the customer's phone opens

page-kicker = Activer vos services connectés : une étape
page-errors = Codes que l'application peut afficher à cette étape
page-footer = Présenté par votre concessionnaire avec stepwise
page-does = Marche à suivre :
page-needs = Ce qu'il vous faut :
page-errors-hint = Si l'application affiche l'un de ces codes, signalez-le à votre concessionnaire : il sait ce qui aide.
page-unknown-purpose = L'outil de votre concessionnaire n'a pas d'instructions pour cette étape.
page-unknown-does =
    Ouvrez l'application et suivez ce qu'elle demande pour cette étape.
    Si l'application affiche un code d'erreur, notez-le et montrez-le à votre concessionnaire.
page-step-deviceActivation-purpose = Enregistre ce téléphone pour l'authentification forte : le téléphone est ce que vous possédez, le code PIN ce que vous savez.
page-step-mediumCarKey-purpose = Prouve que vous détenez bien les clés du véhicule. À faire une seule fois.
page-step-trusterPhoneNumber-needs =
    Le téléphone dont le numéro sera de confiance, allumé et capable de recevoir des SMS
    L'application mobile du véhicule, connectée à votre compte
page-step-deviceActivation-needs =
    Le téléphone à activer, avec le numéro de confiance capable de recevoir des SMS
    Votre code PIN si vous en avez déjà un, sinon un nouveau code PIN que vous retiendrez
    Une connexion de données qui fonctionne sur le téléphone
page-step-mediumCarKey-needs =
    Le téléphone déjà appairé au véhicule en Bluetooth
    Les clés du véhicule, avec vous à bord
    Localisation et Bluetooth activés dans les réglages du téléphone

gw-title-tls = Échec de la connexion sécurisée
gw-title-live = Flux en direct perturbé
gw-title-live-contradicted = Flux en direct contredit par les listes
gw-title-live-left-out = Le flux en direct omet des listes
gw-title-live-refused = Flux en direct refusé
gw-title-live-not-offered = Flux en direct plus offert
gw-title-live-page = Flux en direct remplacé par une page web
gw-title-live-compressed = Flux en direct compressé
gw-title-token-dropped = Jeton perdu en route

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(via le proxy { $proxy })
tls-unknown-issuer = la passerelle { $base }{ $via } a présenté un certificat d'un émetteur inconnu (une autorité privée, ou un proxy qui inspecte le TLS). Faites confiance à cette autorité avec --ca-file FICHIER (son certificat, PEM), ou STEPWISE_CA_FILE ; si un fichier est déjà donné, ce n'est pas l'autorité qui a signé ce certificat (un certificat de serveur au lieu de son autorité, ou une autorité refaite depuis) : prenez le certificat actuel de l'autorité de la passerelle. Ou la passerelle n'envoie pas l'autorité intermédiaire qui relie son certificat à cette autorité (stepwise doctor le dit)
tls-expired = le certificat de la passerelle { $base } a expiré. Vérifiez la date de cette machine ; si elle est juste, prévenez l'exploitant de la passerelle
tls-not-yet-valid = le certificat de la passerelle { $base } n'est pas encore valide. Vérifiez la date et l'heure de cette machine ; si elles sont justes, prévenez l'exploitant de la passerelle
tls-wrong-host = le certificat de la passerelle { $base } n'est pas fait pour { $host }. Utilisez dans --api le nom d'hôte ou l'adresse prévus par le certificat
tls-wrong-host-names = le certificat de la passerelle { $base } est fait pour { $names }, pas pour { $host }. Utilisez l'un d'eux dans --api, ou faites faire un certificat de la passerelle pour { $host }
tls-no-host-names = le certificat de la passerelle { $base } ne nomme aucun hôte (pas de nom alternatif du sujet ; TLS ne lit plus le seul nom commun). Aucun --api n'y remédie : faites réémettre le certificat avec le nom d'hôte comme nom alternatif du sujet
tls-old-version = le certificat de la passerelle { $base } est un certificat X.509 version 1, que TLS n'accepte plus. Aucune --api, --ca-file ni certificat client ne peut y remédier : faites refaire le certificat en version 3, avec le nom d'hôte comme nom alternatif du sujet
tls-certificate-required = la passerelle { $base } exige un certificat client. Donnez-en un avec --client-cert FICHIER --client-key FICHIER
tls-client-refused = la passerelle { $base } a refusé le certificat client ({ $alert }). Utilisez un certificat émis par l'autorité à laquelle la passerelle fait confiance ; `stepwise doctor` vérifie aussi ses dates
tls-client-expired = la passerelle { $base } indique que le certificat client a expiré. Demandez-en un nouveau à son émetteur (--client-cert, --client-key) et vérifiez la date de cette machine
tls-client-unsupported = la passerelle { $base } a refusé le certificat client comme non pris en charge : le plus souvent, il n'est pas fait pour un client (le certificat d'un serveur, dont l'usage de clé n'inclut pas l'authentification client). Utilisez un certificat émis pour l'authentification client (--client-cert, --client-key)
tls-authority-as-server = la passerelle { $base } présente le certificat d'une autorité (CA:TRUE) comme son propre certificat de serveur, ce que TLS n'accepte pas. Demandez à l'exploitant de la passerelle de servir un certificat de serveur signé par cette autorité ; c'est le certificat de l'autorité qui va dans --ca-file
tls-handshake-refused = la passerelle { $base }{ $via } a refusé la négociation TLS ({ $alert }). Vérifiez --api ; s'il est juste, prévenez l'exploitant de la passerelle
tls-not-tls = le serveur { $base }{ $via } ne parle pas TLS. Vérifiez le port, ou utilisez http:// si la passerelle n'a pas de TLS
tls-not-tls-proxy = par le proxy { $proxy }, ce qui est revenu pour { $base } n'est pas du TLS : le proxy, ou un filtre derrière lui, a répondu à la place de la passerelle (une page de blocage, une inspection). Demandez à qui gère le proxy s'il laisse passer TLS vers cet hôte, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
tls-other = la connexion TLS à la passerelle { $base }{ $via } a échoué : { $what }. Vérifiez --api, --ca-file et le certificat client

## Step guidance

step-trusterPhoneNumber-title = Numéro de téléphone de confiance
step-trusterPhoneNumber-purpose = Enregistre le numéro de téléphone auquel le compte fera confiance pour les codes de sécurité. À faire avant l'activation de l'appareil.
step-trusterPhoneNumber-needs =
    Le téléphone dont le numéro sera de confiance, allumé et capable de recevoir des SMS
    L'application mobile du véhicule, connectée au compte du client
step-trusterPhoneNumber-does =
    Dans l'application, saisir ou confirmer le numéro de téléphone de confiance.
    Attendre le SMS avec un code sur ce numéro (cela peut prendre une minute).
    Taper le code SMS dans le champ du code de l'application et valider.
    Si le code est refusé ou trop ancien, en redemander un dans l'application et recommencer.

step-deviceActivation-title = Activation de l'appareil
step-deviceActivation-purpose = Enregistre ce téléphone pour l'authentification forte : le téléphone est ce que le client possède, le code PIN ce qu'il sait.
step-deviceActivation-needs =
    Le téléphone à activer, avec le numéro de confiance capable de recevoir des SMS
    Le code PIN du client s'il en a déjà un, sinon un nouveau code PIN qu'il retiendra
    Une connexion de données qui fonctionne sur le téléphone
step-deviceActivation-does =
    Lancer l'activation de l'appareil dans l'application et attendre le SMS d'activation sur le numéro de confiance.
    Saisir le code SMS quand l'application le demande (dans le champ du code, pas celui du PIN).
    Saisir le code PIN existant, ou en créer un si l'application le demande.
    Si le compte est bloqué (trop d'appareils ou d'activations par SMS), retirer les appareils enregistrés sur le compte (appareils associés) inutilisés et recommencer.
    Si le code PIN est bloqué après trop d'erreurs, le réinitialiser depuis l'application, puis activer à nouveau.

step-mediumCarKey-title = Vérification CarKey
step-mediumCarKey-purpose = Prouve que le client détient bien les clés du véhicule. À faire une seule fois.
step-mediumCarKey-needs =
    Le téléphone déjà appairé au véhicule en Bluetooth
    Les clés du véhicule, le client assis dans le véhicule
    Localisation et Bluetooth activés dans les réglages du téléphone
step-mediumCarKey-does =
    S'asseoir dans le véhicule avec les clés et le téléphone.
    Vérifier que Localisation et Bluetooth sont activés et que le téléphone voit le véhicule comme appairé.
    Lancer la vérification CarKey dans l'application et suivre ses instructions sur la clé.
    Rester dans le véhicule jusqu'à ce que l'application confirme la réussite.

step-generic-purpose = stepwise ne connaît pas cette étape : pas de conseils intégrés.
step-generic-needs =
    Le téléphone du client avec l'application ouverte et connectée
    Tout ce que l'application demande à l'écran (codes, PIN, clés, accès au véhicule)
step-generic-does =
    Demander au client d'ouvrir l'application et de suivre ses instructions pour cette étape.
    Noter le nom de l'étape et tout code d'erreur affiché.
    Chercher l'étape dans la documentation du constructeur ou l'aide du concessionnaire.
    Actualiser ici la liste des étapes quand le client a terminé.

## App error codes

code-2000-meaning = Échec générique
code-2000-remedy = Faire réessayer le client ; si l'échec persiste, noter le code et le signaler.
code-2201-meaning = La requête a expiré
code-2201-remedy = Réessayer, et vérifier que le téléphone capte bien le réseau mobile ou le Wi-Fi.
code-2202-meaning = Pas de connexion Internet
code-2202-remedy = Vérifier les données mobiles ou le Wi-Fi du téléphone, puis réessayer.
code-2204-meaning = Erreur du serveur
code-2204-remedy = Patienter et réessayer plus tard ; le signaler si cela se répète.
code-2301-meaning = Authentification simple requise
code-2301-remedy = Demander au client de se déconnecter de l'application, de se reconnecter, puis de réessayer.
code-2302-meaning = Authentification forte requise
code-2302-remedy = Le client doit confirmer avec son code PIN (OTP avec PIN) dans l'application, puis réessayer.
code-2305-meaning = Le code SMS n'est pas valide
code-2305-remedy = Faire envoyer un nouveau code par l'application et le taper soigneusement dans le champ du code.
code-2306-meaning = Le code SMS a expiré
code-2306-remedy = Faire envoyer un nouveau code par l'application et le saisir sans attendre.
code-2307-meaning = Le compte n'a pas de numéro de téléphone
code-2307-remedy = Enregistrer d'abord un numéro de téléphone de confiance (étape trusterPhoneNumber).
code-2308-meaning = Le service d'authentification a refusé l'accès
code-2308-remedy = Vérifier le code SMS et le code PIN saisis, chacun dans le bon champ, puis réessayer.
code-2310-meaning = Le compte est bloqué
code-2310-remedy = Retirer les appareils associés au compte (au moins ceux inutilisés) et enrôler à nouveau ce téléphone.
code-2311-meaning = L'état d'authentification est incorrect
code-2311-remedy = Vider le cache des étapes (touche R de l'assistant, ou `stepwise steps --car ID --reset`), puis enrôler à nouveau l'appareil.
code-2312-meaning = L'appareil est désactivé ou inconnu
code-2312-remedy = Vider le cache des étapes (touche R de l'assistant, ou `stepwise steps --car ID --reset`), puis activer à nouveau l'appareil.
code-2317-meaning = Opération interdite avec le PIN (appareil activé, bloqué ou à mettre à niveau)
code-2317-remedy = Vider le cache des étapes (touche R de l'assistant, ou `stepwise steps --car ID --reset`), puis activer à nouveau l'appareil. Si cela persiste, le compte est bloqué : retirer tous les appareils associés et recommencer.
code-2323-meaning = L'utilisateur n'est pas le propriétaire de ce véhicule
code-2323-remedy = Vérifier que le véhicule est associé au compte du client et que le carAssociationID est le bon.
code-2341-meaning = CarKey : Localisation ou Bluetooth désactivé
code-2341-remedy = Activer Localisation et Bluetooth sur le téléphone, puis relancer la vérification CarKey.
code-2342-meaning = CarKey : le téléphone n'est pas appairé au véhicule
code-2342-remedy = Appairer le téléphone au véhicule en Bluetooth, puis relancer la vérification CarKey.
code-2346-meaning = Aucune étape pour ce stepsID
code-2346-remedy = Recommencer avec le carAssociationID pour obtenir une nouvelle liste d'étapes.
code-2354-meaning = CarKey : position de la clé non valide
code-2354-remedy = Faire asseoir le client dans le véhicule avec les clés et relancer la vérification CarKey.
code-2355-meaning = CarKey : signature non valide
code-2355-remedy = Relancer la vérification CarKey depuis l'intérieur du véhicule avec les clés ; le signaler si cela se répète.
code-2356-meaning = CarKey : horodatage non valide
code-2356-remedy = Vérifier que la date et l'heure du téléphone sont réglées automatiquement, puis relancer la vérification CarKey.
code-2390-meaning = Le numéro de téléphone est déjà enregistré
code-2390-remedy = Rien à corriger : continuer avec ce numéro comme numéro de confiance.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Compte verrouillé : trop d'activations par SMS ou trop d'appareils associés
client-maxnbtools-remedy = Retirer les téléphones et appareils associés inutilisés dans l'application mobile du véhicule (réinitialiser le compte), puis activer à nouveau. Si cela persiste, seul le support du constructeur peut réinitialiser le compte, ce qui peut prendre des jours.
client-forbidden-meaning = L'enregistrement OTP a été refusé (même famille d'erreurs que MAXNBTOOLS)
client-forbidden-remedy = Refaire l'activation de l'appareil depuis le début. Si elle est encore refusée, traiter comme MAXNBTOOLS : retirer les appareils inutilisés et réinitialiser le compte.
client-access-meaning = Code SMS ou code PIN non valide
client-access-remedy = Les saisir à nouveau : le code SMS dans le champ du code, le code PIN de l'application dans le champ du PIN.
client-blocked-meaning = Trop de codes PIN erronés : le PIN est bloqué
client-blocked-remedy = Réinitialiser le code PIN dans l'application mobile du véhicule, puis activer à nouveau l'appareil.
client-code-meaning = Probablement un code PIN de l'application erroné (sans certitude)
client-code-remedy = Réessayer avec le bon code PIN de l'application.
client-sn-meaning = Le code SMS n'a pas été accepté (sans certitude ; observé quand autre chose avait été saisi ou rempli automatiquement)
client-sn-remedy = Demander un nouveau SMS et taper le code à la main.
client-need-authorization-meaning = La connexion au compte de la marque demande une nouvelle autorisation
client-need-authorization-remedy = Patienter et réessayer plus tard (souvent le lendemain) ; se reconnecter dans l'application mobile du véhicule.
client-authentication-failed-meaning = E-mail, mot de passe ou pays du compte de la marque erroné
client-authentication-failed-remedy = Corriger l'e-mail, le mot de passe ou le pays, puis se reconnecter.
client-invalid-grant-meaning = Le jeton de connexion a expiré ou a été révoqué
client-invalid-grant-remedy = Se reconnecter dans l'application mobile du véhicule.
client-40400-meaning = Aucun état trouvé pour ce véhicule
client-40400-remedy = Vérifier que le véhicule est dans le compte du client ; si cela persiste, retirer le véhicule puis l'ajouter à nouveau.
client-50000-meaning = Le module de connectivité du véhicule a été remplacé (après une réparation) et ne correspond plus au serveur
client-50000-remedy = Se reconnecter ; si cela persiste, le concessionnaire doit enregistrer le nouveau module.
client-50038-meaning = Erreur temporaire chez le constructeur
client-50038-remedy = Réessayer plus tard.
client-no-matching-service-key-meaning = Cette commande ne fait pas partie du service souscrit
client-no-matching-service-key-remedy = Utiliser ce que l'abonnement propose (portes, klaxon et feux demandent un niveau de service supérieur).
client-422-meaning = Commande à distance refusée : le mode privé du véhicule est actif
client-422-remedy = Désactiver le mode privé dans le véhicule, puis réessayer.
client-901-meaning = Commande à distance refusée : le véhicule est en veille
client-901-remedy = Réveiller le véhicule et réessayer.

## Limits that bite

limit-sms-activations = Environ 20 activations par SMS verrouillent le compte (chez un utilisateur, vers 10) : après deux échecs, expliquer le code et s'arrêter.
limit-otp-codes = Les applications tierces (clients open source, pas le client du véhicule) s'imposent 6 codes OTP par 24 h ; le serveur applique probablement cette limite.
limit-wake-ups = Ces applications tierces s'autorisent 6 réveils par 20 minutes.

## Signing in

banner-sign-in-text = la passerelle a refusé le jeton (HTTP 401). Appuyez sur i pour vous connecter ici.
banner-sign-in-kept-fixed-text = la passerelle a refusé le jeton conservé par `stepwise login --with-token` (HTTP 401). Demandez son jeton actuel à qui gère la passerelle, conservez-le avec `stepwise login --with-token` et recommencez ; ou appuyez sur i pour vous connecter ici, si elle propose une connexion (i le dit sinon).
banner-sign-in-given-text = la passerelle a refusé le jeton (source : { $from }) (HTTP 401). Mettez-y son jeton actuel et relancez ; ou appuyez sur i pour vous connecter ici, si elle propose la connexion (sinon i le dira).
banner-simulated = Client simulé
banner-simulated-text = le client simulé a terminé { $title } ; demande de la liste à la passerelle.
banner-simulate-demo-only = s joue le client uniquement sur le backend de démo
banner-simulate-demo-only-text = ici, le client agit sur son téléphone. Avec `stepwise serve`, une étape se termine par : curl -X POST { $url }
banner-simulate-demo-only-token-text = ici, le client agit sur son téléphone. Avec `stepwise serve`, une étape se termine par : curl -X POST -H "Authorization: Bearer JETON" { $url } (JETON : le jeton qu'envoie cet assistant)
banner-simulate-demo-only-fixed-text = ici, le client agit sur son téléphone. Avec `stepwise serve`, une étape se termine par : curl -X POST -H "Authorization: Bearer JETON" { $url } (JETON : le jeton de la passerelle que vous avez gardé avec `stepwise login --with-token`)
banner-simulate-demo-only-login-text = ici, le client agit sur son téléphone. Avec `stepwise serve`, une étape se termine par : curl -X POST -H "Authorization: Bearer JETON" { $url } (JETON : un jeton que la passerelle accepte. Celui de cet assistant vient d'une connexion et n'est jamais montré : lancez `stepwise serve --auth` avec `--token T` en plus, et envoyez T)
banner-sign-in-none-text = la passerelle demande un jeton, et aucun n'a été envoyé (HTTP 401). Appuyez sur i pour vous connecter ici, si elle propose la connexion (sinon i le dira).
banner-sign-in-login-unreadable-text = la passerelle demande un jeton, et aucun n'a été envoyé (HTTP 401) : les connexions gardées par `stepwise login` n'ont pas pu être lues : { $why }. Quittez, corrigez cela et relancez, ou lancez avec --token-file CHEMIN.
banner-sign-in-again-text = { $why } : la connexion a pris fin. Appuyez sur i pour vous reconnecter.
banner-signed-in = Connecté
banner-signed-in-watch-resumed = Le suivi, que le jeton refusé avait arrêté, reprend.
banner-signed-in-text = le jeton est conservé dans { $place } ; les étapes sont redemandées avec lui.
banner-signed-in-given = Cette session l'utilise ; la suivante reprendra le jeton de { $from }, qui l'emporte sur la connexion conservée : lancez-la sans { $from }.
banner-sign-in-failed = Échec de la connexion
report-sign-in-cancelled = annulée avant que l'approbation n'arrive (Échap, ou l'assistant s'est arrêté) : aucun jeton n'a été gardé
banner-sign-in-no-help = Aucune connexion lancée
banner-sign-in-no-help-text = une nouvelle connexion avec ces réglages obtiendrait la même réponse. { $why }
banner-sign-in-failed-text = { $why }. Appuyez sur i pour réessayer.
banner-sign-in-failed-fix-text = { $why }. Appuyer de nouveau sur i échouera de la même façon tant que cela n'est pas changé.
banner-sign-in-settings-text = { $why }. Un assistant en cours lit ses réglages de connexion à son démarrage, et ne prend ni --client-id ni --scope : changez-les dans le fichier de configuration (`client_id`, `scopes`), puis quittez (q) et relancez-le.
banner-sign-in-wait-text = le fournisseur d'identité ne donne pas de code pour l'instant ({ $said }) et demande d'attendre { $wait }. Appuyez sur i après cette attente.
banner-sign-in-expired-text = le code a expiré avant d'être approuvé. Appuyez sur i pour un nouveau code, et approuvez-le plus tôt.
banner-sign-in-denied-text = la connexion a été refusée (access_denied) pour les scopes { $scopes }. Si elle a été refusée dans le navigateur, appuyez sur i pour vous reconnecter. Sinon, le fournisseur veut d'autres scopes : demandez lesquels à son exploitant, puis quittez, mettez-les dans `scopes` du fichier de configuration et relancez.
banner-sign-in-stopped-text = le fournisseur d'identité a arrêté la connexion ({ $said }). Appuyez sur i pour en commencer une nouvelle.
banner-sign-in-not-offered-text = la passerelle { $gateway } ne propose pas de connexion : elle prend un jeton fixe. Quittez, gardez le jeton avec `stepwise login --with-token` (ou donnez-le avec --token-file FICHIER ou STEPWISE_TOKEN) et relancez : un assistant en cours ne lit pas un jeton gardé entre-temps.
banner-sign-in-not-needed-text = la passerelle { $gateway } ne propose pas de connexion, et elle a répondu sans jeton : elle n'en demande pas ici, il n'y a donc rien à quoi se connecter.
banner-sign-in-discovery-refused-text = la passerelle { $gateway } a refusé la demande de ses métadonnées de connexion (HTTP 403) : elle n'en publie pas pour ce client, ou un pare-feu devant elle bloque ce chemin. Demandez un jeton à l'exploitant de la passerelle ; puis quittez, gardez-le avec `stepwise login --with-token` (ou donnez-le avec --token-file FICHIER ou STEPWISE_TOKEN) et relancez.
banner-sign-in-not-offered-given-text = la passerelle à { $gateway } n'offre pas de connexion : elle prend un jeton fixe, et elle a refusé le jeton donné (source : { $from }). Quittez, mettez-y son jeton actuel et relancez (un jeton conservé par `stepwise login --with-token` n'est pas utilisé tant que { $from } en donne un).
help-section-sign-in = Connexion
key-short-sign-in = connexion
key-help-sign-in = se connecter à la passerelle (après un jeton refusé) sans quitter ce véhicule
key-help-open-sign-in-page = ouvrir l'adresse de connexion dans un navigateur
key-help-cancel-sign-in = arrêter la connexion (rien n'est conservé)
gw-title-sign-in-again = Reconnexion nécessaire
gw-title-client-refused = Identifiant client refusé
gw-title-tokens-not-taken = Jetons non acceptés
gw-title-sign-in-failed = Échec de la connexion
gw-title-renewal-failed = Échec du renouvellement du jeton
auth-denied = la connexion a été refusée (access_denied) pour les scopes { $scopes }. Si personne ne l'a refusée dans le navigateur, le fournisseur veut d'autres scopes : demandez lesquels à son exploitant, indiquez-les avec --scope ou `scopes` dans le fichier de configuration, puis relancez `stepwise login`
auth-denied-said = la connexion a été refusée (access_denied) pour les portées { $scopes }, et le fournisseur d'identité dit pourquoi : { $said }. Si cela nomme le compte (un groupe, un rôle), demandez à l'administrateur du fournisseur de lui permettre de se connecter à stepwise ; si cela nomme des portées, donnez-les avec --scope ou `scopes` dans le fichier de configuration, et relancez `stepwise login`
auth-expired = le code a expiré avant d'être approuvé. Relancez `stepwise login` et approuvez-le plus tôt
auth-sign-in-again = { $why }. Lancez `stepwise login` pour vous reconnecter
auth-client-refused-then = { $why } ; puis connectez-vous avec lui : `stepwise login --client-id ID`
auth-refused-fresh-then = { $why } ; puis connectez-vous avec elle : `stepwise login --audience URI`
auth-unreachable = impossible de joindre le fournisseur d'identité { $url } : { $detail }. Vérifiez le réseau, puis réessayez ; si cela persiste, vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle (ses métadonnées de connexion désignent ce fournisseur)
auth-proxy-407 = le proxy { $proxy } (de { $from }) a répondu lui-même 407 à l'appel de connexion vers { $url } : le fournisseur d'identité n'a pas été interrogé. Le proxy demande un nom d'utilisateur et un mot de passe : mettez-les dans la variable du proxy (http://utilisateur:motdepasse@proxy:port), ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-407-refused = le proxy { $proxy } (de { $from }) a refusé le nom d'utilisateur et le mot de passe de sa variable pour l'appel de connexion vers { $url } (407) : le fournisseur d'identité n'a pas été interrogé. Vérifiez le nom d'utilisateur et le mot de passe dans la variable du proxy, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-401-basic = le proxy { $proxy } (de { $from }) a répondu lui-même à l'appel de connexion à { $url } par HTTP 401 et une connexion (Basic) : le fournisseur d'identité n'a pas été interrogé. Un proxy qui demande ainsi (tinyproxy le fait) prend un nom d'utilisateur et un mot de passe dans la variable du proxy (http://utilisateur:motdepasse@proxy:port) ; ou mettez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-401-basic-refused = le proxy { $proxy } (de { $from }) a répondu lui-même à l'appel de connexion à { $url } par HTTP 401 et une connexion (Basic), bien que la variable du proxy porte un nom d'utilisateur et un mot de passe : il les a refusés, et le fournisseur d'identité n'a pas été interrogé. Vérifiez-les dans la variable du proxy (les caractères comme @ ou : encodés en pourcentage), ou mettez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-windows = le proxy { $proxy } (de { $from }) a répondu lui-même 407 à l'appel de connexion vers { $url }, en demandant une connexion Windows (Negotiate ou NTLM), que stepwise ne sait pas fournir : le fournisseur d'identité n'a pas été interrogé, et aucun nom d'utilisateur ni mot de passe dans la variable du proxy n'y répond. Demandez à qui gère le proxy de laisser passer { $host } sans elle, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-answered = l'appel de connexion vers { $url } est passé par le proxy { $proxy } (de { $from }) et est revenu HTTP { $status }{ $said } sans réponse du fournisseur d'identité : le proxy, ou quelque chose devant le fournisseur, a répondu lui-même. Demandez à qui gère le proxy s'il laisse passer { $host }, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy (un fournisseur sur cette machine l'est toujours)
auth-proxy-429 = l'appel de connexion à { $url } est passé par le proxy { $proxy } (depuis { $from }), qui a répondu lui-même HTTP 429{ $said } : le proxy limite les requêtes. Attendez une minute, puis réessayez ; si cela continue, demandez à qui exploite le proxy, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-429-wait = l'appel de connexion à { $url } est passé par le proxy { $proxy } (de { $from }), qui a répondu lui-même HTTP 429{ $said } : le proxy limite les requêtes et demande d'attendre { $secs } s. Réessayez ensuite ; si cela continue, demandez à qui gère le proxy, ou mettez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-5xx = l'appel de connexion à { $url } est passé par le proxy { $proxy } (de { $from }), qui a répondu lui-même HTTP { $status }{ $said } : il a laissé passer l'appel et n'a eu aucune réponse de { $host } (en panne, ou hors de portée du proxy). Réessayez plus tard ; si cela dure, demandez à qui gère { $host } ou le proxy, ou réglez NO_PROXY={ $host } si { $host } est joignable sans le proxy
auth-proxy-5xx-loopback = l'appel de connexion à { $url } est passé par le proxy { $proxy } (de { $from }), qui a répondu lui-même HTTP { $status }{ $said } : le fournisseur d'identité { $host } est sur ce poste, qu'un proxy ailleurs ne peut joindre, donc réessayer donne la même chose. Définissez NO_PROXY={ $host } (un fournisseur sur ce poste se joint toujours sans le proxy)
auth-proxy-closed = le proxy { $proxy } (de { $from }) a fermé l'appel de connexion vers { $url } sans réponse : on ne sait pas si le fournisseur d'identité a été interrogé. Réessayez ; si cela persiste, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-unreachable = impossible de se connecter au proxy { $proxy } (de { $from }) pour l'appel de connexion vers { $url } : rien ne répond à l'adresse du proxy, donc rien n'a été demandé. Vérifiez la variable du proxy (hôte et port), ou définissez NO_PROXY={ $host } si l'adresse est joignable sans le proxy
auth-proxy-silent = pas de réponse à temps à l'appel de connexion vers { $url } à travers le proxy { $proxy } (de { $from }) : le proxy, ou le fournisseur d'identité derrière lui, est muet. Réessayez plus tard ; si cela persiste, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-garbled = ce qui est revenu à travers le proxy { $proxy } (de { $from }) pour l'appel de connexion vers { $url } n'est pas du HTTP valide : le proxy est défaillant, ou sa variable désigne autre chose qu'un proxy HTTP. Vérifiez la variable du proxy, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si le fournisseur est joignable sans le proxy
auth-proxy-tunnel = le proxy { $proxy } (de { $from }) n'a pas ouvert de tunnel (CONNECT) vers { $host } pour l'appel de connexion vers { $url } : rien n'y a été demandé. Demandez à qui gère le proxy s'il laisse passer { $host }, ou définissez NO_PROXY={ $host } s'il est joignable sans le proxy
auth-fronted = l'appel de connexion vers { $url } a été refusé avec HTTP { $status }{ $said } et une page, non par la réponse du fournisseur d'identité (ses erreurs sont du JSON) : quelque chose devant le fournisseur (un pare-feu, un pare-feu applicatif, ou un proxy inverse ou sa page de connexion) l'a refusé. Réessayer ou se reconnecter donnera la même chose : demandez à qui gère le réseau ou le fournisseur d'identité s'il laisse passer cet appel
auth-no-endpoint = l'appel de connexion vers { $url } a reçu HTTP { $status } sans erreur OAuth : aucun point d'accès ne répond là (une passerelle d'API devant le fournisseur d'identité répond ainsi pour une route qu'elle n'a pas, ou le fournisseur l'a déplacé). Prévenez qui gère le fournisseur d'identité ou la passerelle ; réessayer donnera la même chose, et une nouvelle connexion n'aide que si les métadonnées du fournisseur nomment désormais une autre adresse
auth-fronted-gone = l'appel de connexion vers { $url } a reçu HTTP { $status }{ $said } et une page, non la réponse du fournisseur d'identité (ses erreurs sont du JSON) : rien ne sert cette adresse, ou quelque chose devant le fournisseur répond à sa place. Les métadonnées du fournisseur d'identité la nomment toujours, donc réessayer ou se reconnecter donnera la même chose : prévenez qui gère le fournisseur d'identité ou la passerelle
auth-fronted-page = l'appel de connexion vers { $url } a reçu HTTP { $status }{ $said } et une page web, non le JSON du fournisseur d'identité : quelque chose devant le fournisseur (un portail, un proxy inverse ou sa page de connexion) a répondu à sa place. Demandez à qui gère le réseau ou le fournisseur d'identité s'il laisse passer cet appel
auth-no-answer = le fournisseur d'identité { $url } a accepté la connexion mais n'a pas répondu à temps : il est occupé ou bloqué. Réessayez plus tard ; si cela persiste, prévenez qui le gère
auth-not-tls = le fournisseur d'identité { $url } ne parle pas TLS : vérifiez le port dans l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration), ou utilisez-y http:// si le fournisseur n'a pas de TLS
auth-tls-unknown-issuer = le fournisseur d'identité { $url } a présenté un certificat d'un émetteur inconnu (une autorité privée, ou un proxy qui inspecte TLS). Faites confiance à son autorité avec --ca-file FICHIER (son certificat, PEM), à obtenir de qui gère le fournisseur ; si --issuer (ou `issuer` dans le fichier de configuration) est faux, corrigez-le
auth-tls-wrong-host = le certificat du fournisseur d'identité { $url } n'est pas fait pour son hôte. Vérifiez --issuer (ou `issuer` dans le fichier de configuration) ; s'il est juste, prévenez qui gère le fournisseur
auth-tls-dates = le certificat du fournisseur d'identité { $url } a expiré ou n'est pas encore valide. Vérifiez la date et l'heure de ce poste ; si elles sont justes, prévenez qui gère le fournisseur
auth-tls-other = la connexion TLS au fournisseur d'identité { $url } a échoué ({ $code }). Vérifiez --issuer (ou `issuer` dans le fichier de configuration) ; s'il est juste, prévenez qui gère le fournisseur
auth-tls-old-version = le fournisseur d'identité { $url } a présenté un certificat X.509 version 1, que TLS n'accepte plus. Aucun --issuer ni --ca-file ne peut y remédier : demandez à qui gère le fournisseur de le refaire en version 3, avec son nom d'hôte comme nom alternatif du sujet
auth-tls-no-host-names = le certificat du fournisseur d'identité { $url } ne nomme aucun hôte (pas de nom alternatif du sujet ; un nom commun seul n'est plus lu par TLS). Aucun --issuer ni --ca-file ne peut y remédier : demandez à qui gère le fournisseur de le refaire avec son nom d'hôte comme nom alternatif du sujet
auth-answered-badly = l'adresse du fournisseur d'identité { $url } a été jointe, mais { $detail }. Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
auth-closed = l'adresse du fournisseur d'identité { $url } a pris l'appel et fermé la connexion sans répondre : le fournisseur redémarre peut-être ou est surchargé, ou quelque chose entre les deux l'a coupée. Réessayez ; si cela persiste, vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) si elle est donnée, sinon prévenez qui gère la passerelle
login-title = Connexion à { $gateway }
login-open = Ouvrez { $address } et saisissez ce code :
login-scan = Ou scannez ce code QR avec un téléphone :
login-qr-no-room = (Une fenêtre plus grande montre un code QR de l'adresse.)
login-press-enter = Appuyez sur Entrée pour ouvrir l'adresse dans le navigateur.
login-waiting = En attente de l'approbation (le code expire dans { $left } ; Ctrl-C annule)…
err-login-output-closed = le code de connexion n'a pas pu être affiché : la sortie standard est fermée ou jetée (un tube qui ne lit plus, comme `| head -1`, un descripteur fermé, ou /dev/null), donc personne ne peut l'approuver. Rien n'a été gardé ; relancez `stepwise login` avec sa sortie sur un terminal ou dans un fichier
err-login-output-unwritable = le code de connexion n'a pas pu être affiché : la sortie standard n'a pas pu être écrite ({ $why }), donc personne ne peut l'approuver. Rien n'a été gardé ; relancez `stepwise login` avec sa sortie sur un terminal ou dans un fichier où l'on peut écrire
login-poll-limited = Le fournisseur d'identité demande d'attendre (HTTP 429, trop de requêtes) : l'approbation sera vérifiée de nouveau dans { $secs } s. Le code reste valable en attendant.
login-browser-opened = Adresse confiée au navigateur (si aucun navigateur ne l'affiche, ouvrez vous-même l'adresse ci-dessus).
login-browser-failed = Impossible d'ouvrir un navigateur ({ $why }) ; ouvrez l'adresse à la main.
login-signed-in = Connecté à { $gateway }.
login-token-expired-kept = Remarque : d'après l'expiration écrite dedans, ce jeton a expiré le { $time } ; la passerelle l'a accepté maintenant, mais peut le refuser à tout moment. Demandez son jeton actuel
login-token-untried-why = Jeton conservé pour { $gateway }, mais pas essayé : { $why }. Si cette adresse est fausse, corrigez --api (ou `api` dans le fichier de configuration) et conservez de nouveau le jeton ; sinon la passerelle dira si elle l'accepte au prochain appel (`stepwise steps --car ID`).
login-token-untried-silent = Jeton conservé pour { $gateway }, mais pas essayé : la passerelle a pris la connexion et n'a pas répondu en { $secs } s (occupée ou bloquée). Vérifiez qu'elle tourne et répond ; la passerelle dira si elle accepte le jeton au prochain appel (`stepwise steps --car ID`).
login-token-untried-proxy = Jeton conservé pour { $gateway }, mais pas essayé : { $why }. Dès que le proxy laisse passer la requête (ou que NO_PROXY l'évite), la passerelle dit au prochain appel si elle prend le jeton (`stepwise steps --car ID`).
login-token-unjudged = Jeton conservé pour { $gateway }, mais la réponse ne dit pas si la passerelle l'accepte : { $why }. La passerelle le dira au prochain appel (`stepwise steps --car ID`).
err-login-not-a-gateway = Jeton non gardé : { $why }
err-signin-not-a-gateway = Non connecté : cette adresse ne publie aucune connexion, et son appel des étapes montre pourquoi : { $why }
login-token-taken = Jeton gardé pour { $gateway } : la passerelle l'a accepté.
login-token-not-checked = Jeton conservé pour { $gateway }, mais la passerelle a aussi répondu sans jeton : elle n'en demande aucun ici, on ne peut donc pas dire si elle prend celui-ci. Il est envoyé à chaque appel quand même ; `stepwise logout` l'oublie.
login-expires = Le jeton expire à { $time } ; il est renouvelé avant.
login-kept = Le jeton est conservé dans { $place }.
login-environment-wins = Remarque : STEPWISE_TOKEN est défini ici, et son jeton l'emporte sur cette connexion dans chaque commande. Supprimez STEPWISE_TOKEN pour utiliser la connexion.
login-file-notice = Remarque : aucun trousseau n'a répondu sur cette machine, le jeton est donc conservé dans un fichier que vous seul pouvez lire (mode 0600). `stepwise logout` le supprime.
login-file-notice-windows = Remarque : aucun trousseau n'a répondu sur cette machine, le jeton est donc conservé dans un fichier de votre propre dossier %LOCALAPPDATA%, que Windows ne laisse lire qu'à vous (et aux administrateurs du PC). `stepwise logout` le supprime.
login-file-chosen = Remarque : le jeton est conservé dans le fichier, pas dans un trousseau, parce que STEPWISE_TOKEN_STORE=file le demande. `stepwise logout` le supprime.
login-keyring-too-small = Remarque : le jeton est trop long pour { $name } (au plus { $max } octets par entrée), il est donc conservé à la place dans un fichier que vous seul pouvez lire. `stepwise logout` le supprime.
login-paste = Collez le jeton pour { $gateway } et appuyez sur Entrée (il n'est pas affiché ; Échap ou Ctrl-C annule) :
place-keyring = le trousseau ({ $name })
place-file = le fichier { $path }
logout-none = Aucune connexion conservée pour { $gateway } ; rien à supprimer.
logout-done = Déconnecté de { $gateway } : { $place } ne contient plus le jeton.
logout-still-given = Un jeton fourni par { $from } est toujours présent et toujours utilisé.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = la connexion conservée
token-from-config = le fichier de configuration
status-gateway = Passerelle :     { $gateway }
status-login-kept = Connexion :      conservée dans { $place }
status-login-file-private = (lisible par vous seul)
status-login-file-open = (lisible par d'autres utilisateurs de ce poste : mode { $mode } ; lancez `chmod 600 { $path }`)
status-login-none = Connexion :      aucune conservée (`stepwise login` connecte là où la passerelle propose la connexion ; `stepwise login --with-token` conserve un jeton fixe)
status-login-kept-unused = Connexion :      conservée dans { $place }, pas utilisée : le jeton (source : { $from }) l'emporte sur elle
duration-days = { $n } j
duration-hours = { $n } h
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Expiration :     { $time } (dans { $left })
status-expires-renewed = Expiration :     { $time } (dans { $left } ; renouvelé à l'instant)
status-expired-refreshable = Expiration :     expiré à { $time } ; un nouveau jeton est obtenu à la prochaine utilisation
status-renewal-failed = Renouvellement : essayé à l'instant, en échec : { $why }
status-expired = Expiration :     expiré à { $time }
status-expires-ended = Expiration :     { $time } (plus utilisable : le fournisseur d'identité a mis fin à la connexion)
status-expires-unknown = Expiration :     inconnue (jeton fourni à la main)
status-expires-unknown-provider = Expiration :     inconnue (le fournisseur d'identité n'a donné aucune expiration utilisable)
status-refresh-auto = Renouvellement : automatique, avant l'expiration
status-refresh-ended = Renouvellement : aucun : le fournisseur d'identité vient de mettre fin à la connexion (la ligne Renouvellement ci-dessus dit comment). Lancez `stepwise login`
status-refresh-failing = Renouvellement : automatique, mais le renouvellement vient d'échouer (la ligne Renouvellement ci-dessus dit pourquoi) ; la prochaine utilisation redemande
status-refresh-none = Renouvellement : impossible ; reconnectez-vous quand il ne fonctionne plus
status-refresh-fixed = Renouvellement : impossible (un jeton donné à la main) ; quand il ne fonctionne plus, gardez le jeton actuel de la passerelle avec `stepwise login --with-token`
status-in-use-login = Utilisé :        la connexion conservée
status-in-use-dropped = Utilisé :        le jeton de { $from }, mais il n'a pas atteint la passerelle : { $why }
status-in-use-login-refused = Utilisé :        la connexion conservée, mais la passerelle vient de refuser son jeton (HTTP 401) : le prochain appel le renouvelle une fois ; si la passerelle refuse aussi celui-là, reconnectez-vous avec `stepwise login`
status-in-use-login-refused-fresh = Utilisé :        la connexion conservée, mais la passerelle vient de refuser son jeton (HTTP 401), et aussi celui renouvelé aussitôt : { $why }
status-in-use-login-refused-fixed = Utilisé :        la connexion conservée, mais la passerelle vient de refuser son jeton (HTTP 401) : connectez-vous avec `stepwise login` là où la passerelle offre une connexion ; sinon demandez son jeton actuel à son exploitant, et gardez-le avec `stepwise login --with-token`
status-in-use-spent = Utilisé :        rien d'utilisable : la connexion conservée a expiré. Lancez `stepwise login`
status-in-use-renewing = Utilisé :        la connexion conservée, dès que le fournisseur d'identité renouvelle son jeton : le renouvellement a échoué pour l'instant (la ligne Renouvellement dit pourquoi) ; une nouvelle connexion rencontrerait le même fournisseur
status-in-use-spent-fixed = Utilisé :        rien d'utilisable : le jeton conservé à la main (login --with-token) a expiré. Conservez le jeton actuel de la passerelle avec `stepwise login --with-token`
status-in-use-ended = Utilisé :        rien d'utilisable : le fournisseur d'identité a mis fin à la connexion conservée. Lancez `stepwise login`
status-in-use-client = Utilisé :        rien d'utilisable : le fournisseur d'identité ne prend pas l'identifiant client de la connexion conservée. Connectez-vous avec celui qu'il connaît : `stepwise login --client-id ID`
status-in-use-other = Utilisé :        un jeton fourni par { $from } (il l'emporte sur une connexion conservée)
status-in-use-not-tried = non essayé : impossible de demander à la passerelle si elle le prend : { $why }
status-in-use-other-expired = Utilisé :        un jeton de { $from } (il l'emporte sur une connexion conservée), mais il a expiré le { $time }, d'après l'expiration écrite dedans : mettez-en un à jour à cet endroit, ou retirez-le pour utiliser une connexion conservée
status-in-use-other-refused = Utilisé :        un jeton de { $from } (il l'emporte sur une connexion conservée), mais la passerelle vient de le refuser (HTTP { $status }) : mettez à cet endroit le jeton actuel de la passerelle, ou retirez-le pour utiliser une connexion conservée
status-in-use-other-scope = Utilisé :        un jeton de { $from } (il l'emporte sur une connexion conservée), mais la passerelle dit qu'il lui manque le scope { $scope } (HTTP { $status }) : demandez à qui délivre les jetons de la passerelle un jeton avec ce scope
status-in-use-config = Utilisé :        un jeton fourni par { $from } (une connexion conservée, par `stepwise login`, l'emporterait sur lui)
status-in-use-config-refused = Utilisé :        un jeton fourni par { $from } (une connexion conservée, par `stepwise login`, l'emporterait sur lui), mais la passerelle vient de le refuser (HTTP { $status }) : mettez à cet endroit le jeton actuel de la passerelle, ou conservez-en un avec `stepwise login` (ou `stepwise login --with-token`), qui l'emporte sur lui
status-in-use-config-expired = Utilisé :        un jeton fourni par { $from } (une connexion conservée, par `stepwise login`, l'emporterait sur lui), mais il a expiré le { $time }, d'après l'expiration écrite dedans : mettez-en un à jour à cet endroit, ou conservez-en un avec `stepwise login` (ou `stepwise login --with-token`), qui l'emporte sur lui
status-in-use-config-scope = Utilisé :        un jeton fourni par { $from } (une connexion conservée, par `stepwise login`, l'emporterait sur lui), mais la passerelle dit qu'il lui manque le scope { $scope } (HTTP { $status }) : demandez à qui délivre les jetons de la passerelle un jeton avec ce scope
signin-asking = Demande d'un code de connexion : la passerelle nomme son fournisseur d'identité, qui donne le code…
signin-waiting = En attente de l'approbation (le code expire dans { $left }). Échap annule ; la session du véhicule reste.
signin-no-browser = Aucun navigateur ne peut s'ouvrir ici (pas de session graphique). Sur un téléphone ou un autre ordinateur, ouvrez l'adresse ci-dessus (ou scannez son code QR) et saisissez le code.
signin-no-browser-no-qr = Aucun navigateur ne peut s'ouvrir ici (pas de session graphique). Sur un téléphone ou un autre ordinateur, ouvrez l'adresse ci-dessus et saisissez le code.
signin-no-browser-local = Aucun navigateur ne peut s'ouvrir ici (pas de session graphique), et l'adresse ci-dessus n'existe que sur cette machine (loopback) : un autre appareil ne peut pas l'ouvrir non plus. Échap annule ; gardez ensuite un jeton avec `stepwise login --with-token`, ou lancez l'assistant sur l'écran de cette machine.
signin-browser-failed = Le navigateur ne s'est pas ouvert ({ $why }). Sur un téléphone ou un autre ordinateur, ouvrez l'adresse ci-dessus (ou scannez son code QR) et saisissez le code.
signin-browser-failed-no-qr = Le navigateur ne s'est pas ouvert ({ $why }). Sur un téléphone ou un autre ordinateur, ouvrez l'adresse ci-dessus et saisissez le code.
status-in-use-none = Utilisé :        aucun jeton. Lancez `stepwise login` (`stepwise login --with-token` si la passerelle n'offre pas de connexion), ou fournissez-en un avec --token-file ou STEPWISE_TOKEN
status-in-use-none-fixed = Utilisé :        aucun jeton, et la passerelle en veut un. Elle ne propose pas de connexion : son jeton vient de qui l'exploite. Gardez ce jeton avec `stepwise login --with-token`, ou donnez-le avec --token-file ou STEPWISE_TOKEN
status-in-use-none-needed = Utilisé :        aucun jeton, et aucun n'est nécessaire : la passerelle à { $gateway } a répondu sans. Lancez `stepwise steps --car ID` tel quel
status-in-use-none-unasked = Utilisé :        aucun jeton ; impossible de demander à la passerelle à { $gateway } si elle en veut un : { $why }. Dès qu'elle répond, `stepwise auth status` dit si elle en veut un
status-unasked-no-client = l'appel n'a pas pu être fait avec les réglages réseau donnés (stepwise steps dit lesquels)
status-login-trouble = Connexion :      { $why }
status-in-use-trouble = Utilisé :        aucun jeton : la connexion conservée est illisible (voir la ligne au-dessus)

## Le tableau : plusieurs véhicules à la fois

board-title = { $count ->
    [one] tableau de 1 véhicule
   *[other] tableau de { $count } véhicules
}
board-sorted-by = trié par { $key }
board-sort-next = étape suivante
board-sort-progress = avancement
board-sort-freshness = fraîcheur
board-sort-id = ID
board-live-on-short = direct ACTIF
board-live-polling-short = direct ACTIF · interrogation toutes les { $secs } s
board-live-off-short = direct arrêté
board-summary-ready = { $n ->
    [one] { $n } prêt
   *[other] { $n } prêts
}
board-summary-in-progress = { $n } en cours
board-summary-failing = { $n } en erreur
board-summary-loading = { $n } en attente de réponse
limited-wait = HTTP 429 : les requêtes attendent encore { $secs } s
board-filter = filtre :
board-fresh-never = pas encore
board-fresh-secs = il y a { $n } s
board-fresh-mins = il y a { $n } min
board-fresh-hours = il y a { $n } h
board-empty = Aucun véhicule sur le tableau : appuyez sur «a» pour en ajouter un.
board-none-match = Aucun véhicule ne correspond au filtre. Échap l'efface.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = avancement
board-col-progress-short = étapes
board-col-next = étape suivante
board-col-fresh = données
board-col-error = erreur
board-rows-window = { $from }–{ $to } sur { $total }
board-n-of-m = { $done } sur { $total }
board-ready = prêt
board-loading = demande…
board-held = retenu (HTTP 429)
board-retrying-was = nouvel essai (avant : { $was })
board-held-was = retenu (avant : { $was })
board-remove-ask = Retirer { $car } du tableau ? Appuyez sur «o» pour le retirer, «n» pour le garder.
board-add-prompt = Ajouter le carAssociationID :
board-add-duplicate = { $car } est déjà sur le tableau.
board-removed = { $car } retiré
board-removed-text = ses requêtes ont été arrêtées ; appuyez sur «a» pour l'ajouter de nouveau.
board-shared-steps-id = Un même stepsID ({ $id }) pour { $count } véhicules
board-shared-steps-id-text = { $cars } ont reçu des listes sous le même stepsID, qui appartient à un seul véhicule : un proxy ou un cache entre ici et la passerelle (qui ignore la requête), ou la passerelle elle-même, mélange les réponses, et ces lignes et leurs mises à jour en direct peuvent montrer la liste d'un autre véhicule. Ne vous y fiez pas ; prévenez l'exploitant de la passerelle (et l'administrateur du réseau, là où un proxy est réglé).
board-turned-ready = { $count ->
    [one] { $cars } est prêt
   *[other] { $cars } sont prêts
    }
board-turned-ready-text = toutes les étapes sont faites : le client peut utiliser le service.
board-turned-unready = { $count ->
    [one] { $cars } n'est plus prêt
   *[other] { $cars } ne sont plus prêts
    }
board-live-on = { $count ->
    [one] Direct : 1 véhicule
   *[other] Direct : { $count } véhicules
}
board-live-off = Direct arrêté
board-live-off-text = le tableau ne s'actualise plus tout seul ; r actualise tout maintenant.
board-live-stopped = Direct arrêté pour { $car } : { $what }
board-live-stopped-every = Direct arrêté pour tous les véhicules : { $what }
board-live-stopped-text = { $why }. Le suivre ne ferait que répéter cette réponse ; le direct continue pour les autres véhicules. Une fois le problème réglé, appuyez deux fois sur w (direct arrêté, puis relancé) pour le suivre à nouveau.
board-live-stopped-unknown-text = { $why }. Le suivre ne ferait que répéter cette réponse ; le direct continue pour les autres véhicules.
board-row-id-fix = L'id d'une ligne ne se corrige pas sur place : sur le tableau, d retire cette ligne et a ajoute le bon id (depuis l'écran de ce véhicule, Échap ramène d'abord au tableau).
board-live-stopped-all-text = { $why }. Le suivre ne ferait que répéter cette réponse, et le direct est maintenant arrêté pour tous les véhicules du tableau. Si chaque véhicule a reçu la même réponse, la cause est la passerelle ou ce qui est devant elle, pas chaque id. Une fois le problème réglé, appuyez sur w pour les suivre à nouveau (le direct est arrêté).
board-vehicle-said = { $car } : { $what }
board-all-failed = { $count ->
    [one] Le véhicule a échoué
   *[other] Les { $count } véhicules ont tous échoué de la même façon
} : { $what }
board-stream-said = Flux en direct de { $count } véhicules : { $what }
board-nothing-to-watch-text = tous les véhicules sont prêts.
help-section-board = Le tableau
help-section-board-filter = Le filtre du tableau
help-section-board-add = Ajouter un véhicule
help-section-board-remove = Retirer un véhicule
key-short-sort = trier
key-short-live = direct
key-short-add = ajouter
key-short-remove = retirer
key-short-keep = garder
key-help-board-move = choisir un véhicule
key-help-board-open = ouvrir les étapes du véhicule choisi (Échap revient au tableau)
key-help-board-filter = filtrer les lignes par texte (ID, étape suivante, erreur)
key-help-board-sort = trier par étape suivante, avancement, fraîcheur ou ID
key-help-board-refresh = actualiser tous les véhicules
key-help-board-live = garder tous les véhicules en direct (actualisés tout seuls), ou arrêter
key-help-board-add = ajouter un véhicule par son carAssociationID
key-help-board-remove = retirer le véhicule choisi (demande d'abord)
key-help-board-clear = effacer le filtre
key-help-board-sign-in = se connecter à la passerelle (après un jeton refusé) : chaque véhicule refusé faute de jeton redemande alors
key-help-filter-keep = garder le filtre et revenir aux lignes
key-help-filter-clear = effacer le filtre
key-help-type-filter = saisir le texte à chercher
key-help-add-submit = ajouter le véhicule et demander ses étapes
key-help-remove-now = le retirer du tableau

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Utilisation :
help-cli-options = Options
help-cli-arguments = Arguments
help-cli-commands = Commandes
help-cli-command-value = COMMANDE
help-cli-help = Afficher l'aide
help-cli-help-short = Afficher l'aide (détaillée avec '--help')
help-cli-help-long = Afficher l'aide (résumée avec '-h')
help-cli-version = Afficher la version
help-cli-help-command = Afficher cette aide ou l'aide des commandes indiquées
help-cli-help-command-subcommand = Afficher l'aide de ces commandes
help-cli-default = [par défaut : { $value }]
help-cli-env = [env. : { $name }]
help-cli-values = [valeurs possibles : { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Guide le technicien à travers les étapes d'activation des services d'un véhicule connecté
help-cli-stepwise-long =
    Guide le technicien à travers les étapes d'activation des services d'un véhicule connecté.

    Sans passerelle configurée (--api, STEPWISE_API ou le fichier de configuration), l'assistant et les commandes steps/next utilisent le simulateur intégré.
help-cli-stepwise-after = Codes de sortie de steps/next : 0 aucune étape renvoyée n'est à faire (todo), 3 une étape renvoyée est à faire, 1 erreur, 2 mauvaise utilisation. Une commande refuse une option globale qu'elle n'utilise pas.
help-cli-stepwise-api = URL de base de la passerelle des étapes, par ex. http://127.0.0.1:8080 (sans nom d'utilisateur ni mot de passe)
help-cli-stepwise-car = carAssociationID à ouvrir (lettres a–z, A–Z, chiffres, - et _) ; à répéter pour un tableau de plusieurs véhicules (doctor en prend un seul)
help-cli-stepwise-cars = Fichier de carAssociationIDs : un par ligne (# commence un commentaire), ou un CSV dont la première colonne est l'id
help-cli-stepwise-concurrency = Requêtes simultanées vers la passerelle, pour tout le tableau ou tout --cars
help-cli-stepwise-token-file = Fichier contenant le jeton (bearer) de la passerelle, seul sur une ligne
help-cli-stepwise-report = Écrire ici le rapport de session en quittant (.json donne du JSON, sinon du Markdown)
help-cli-stepwise-lang = Langue des écrans, du guidage, de la sortie texte et de ces messages : en, fr, de, it, es, nl, pt-BR ou pt-PT (pt: pt-BR; sinon STEPWISE_LANG, lang du fichier de configuration, la langue du système, l'anglais)
help-cli-stepwise-ca-file = Faire aussi confiance aux autorités de ce fichier PEM (sinon STEPWISE_CA_FILE, `ca_file` du fichier de configuration, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Présenter ce certificat client (PEM ; peut aussi contenir la clé)
help-cli-stepwise-client-key = La clé privée du certificat client (PEM)
# The commands and their options.
help-cli-demo = L'assistant sur le simulateur intégré
help-cli-demo-autoplay = Le client simulé fait l'étape suivante toutes les quelques secondes
help-cli-demo-fresh = Repartir de zéro avec le backend de démo : oublier ses stepsIDs, caches et états
help-cli-demo-board = Ouvrir le tableau avec les véhicules du backend de démo (ou ceux de --car/--cars)
help-cli-fleet = Le tableau : plusieurs véhicules à la fois, une ligne chacun (à donner avec --car, répété, ou --cars FICHIER)
help-cli-serve = Lancer le simulateur de la passerelle des étapes
help-cli-serve-addr = Adresse d'écoute, HÔTE:PORT (un nom d'hôte est résolu)
help-cli-serve-scenario = Fichier de scénario (JSON) ; sinon le scénario intégré
help-cli-serve-token = Exiger ce jeton (bearer) à chaque requête. Tout utilisateur de cette machine peut le lire dans `ps` : préférez --token-file ou STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = Ajouter N véhicules générés, F0001..., dans des états variés
help-cli-serve-churn = Toutes les SECONDS secondes, l'étape suivante d'un véhicule généré au hasard (F0001…) est faite ; les véhicules intégrés restent à jouer à la main
help-cli-serve-stream-events = Terminer chaque flux d'événements après ses N premiers événements (pour les outils qui attendent une réponse qui se termine)
help-cli-serve-log = Écrire une ligne par requête sur la sortie standard : heure, méthode, chemin, statut, durée
help-cli-serve-tls = Servir en HTTPS avec un certificat généré au démarrage (pour localhost et 127.0.0.1)
help-cli-serve-tls-dir = Y écrire l'autorité (ca.pem), le certificat et la clé (sinon sim-tls dans le dossier de données)
help-cli-serve-client-ca = Exiger des certificats clients signés par cette autorité (PEM)
help-cli-serve-auth = Être aussi le fournisseur d'identité (`stepwise login`) : clients enregistrés, scopes, connexion par appareil et par code d'autorisation (PKCE), jetons de renouvellement tournants, révocation ; POST /sim/device/CODE/approve ou /deny
help-cli-serve-token-ttl = Durée de vie des jetons émis, en secondes
help-cli-login = Se connecter à la passerelle (--api) avec un code approuvé dans un navigateur
help-cli-login-with-token = Lire plutôt un jeton sur l'entrée standard : par un tube, ou collé à une invite qui ne l'affiche pas (jamais depuis un argument)
help-cli-logout = Révoquer la connexion chez le fournisseur d'identité s'il offre la révocation, et oublier le jeton gardé pour la passerelle (--api)
help-cli-logout-forget = Oublier la connexion ici même quand le fournisseur d'identité ne peut être joint pour la révoquer
help-cli-auth = La connexion : qui, où le jeton est gardé, quand il expire
help-cli-auth-status = Indique la passerelle, où le jeton est gardé et quand il expire (jamais le jeton) ; code 0 avec un jeton utilisable ou quand la passerelle répond sans jeton, 1 sinon
help-cli-auth-status-json = Afficher du JSON
help-cli-steps = Afficher les étapes en liste de contrôle (ou en JSON) ; code 3 tant qu'une étape renvoyée est à faire
help-cli-steps-after =
    Avec --status todo ou alreadyDone, seules ces étapes sont renvoyées : la sortie dit alors qu'elle est filtrée et n'annonce jamais le service prêt, et le code 0 signifie seulement qu'aucune étape renvoyée n'est à faire.

    Avec plusieurs véhicules (--car répété, ou --cars FICHIER), chacun a son bloc, ou avec --json un objet JSON par ligne (JSON Lines) ; code 1 si un véhicule a échoué (stderr nomme chacun), sinon 3 si l'un a une étape à faire, sinon 0.
help-cli-steps-steps-id = Actualiser par stepsID au lieu de --car
help-cli-steps-status = Seulement les étapes de ce statut
help-cli-steps-reset = Vider d'abord le cache des étapes (corrige les erreurs d'application 2312/2317)
help-cli-steps-json = Afficher du JSON au lieu de la liste de contrôle
help-cli-steps-deadline = Cesser d'attendre après ce nombre de secondes au total (avec plusieurs véhicules, nommer ceux qui n'ont pas répondu)
help-cli-doctor = Vérifier tout ce qui sépare cette machine d'un assistant qui marche ; code 1 si une vérification échoue
help-cli-doctor-json = Afficher du JSON
help-cli-completions = Afficher les complétions du shell (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = Le shell pour lequel écrire les complétions
help-cli-man = Afficher la page de manuel (roff), par ex. `stepwise man > stepwise.1`
help-cli-next = Afficher la prochaine étape à faire ; code 3 tant qu'il en reste une
help-cli-next-after = `order` est la réponse de la passerelle sur l'étape suivante, telle qu'envoyée : cette réponse numérote à sa façon l'étape qu'elle renvoie (celle du SDK donne 1), il peut donc différer de l'ordre de la même étape dans `stepwise steps`.
help-cli-next-steps-id = Le stepsID dont on demande l'étape suivante (`stepwise steps` l'affiche)
help-cli-next-json = Afficher du JSON
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise : erreur : { $message }
cli-arg-login-trouble = stepwise : avertissement : aucun jeton n'est envoyé : { $why }
cli-arg-warning = stepwise : avertissement : { $what }
device-unkept = l'identifiant d'appareil ne peut pas être gardé dans { $path } ({ $why }) : chaque exécution est un nouvel appareil pour la passerelle, qui refuse les stepsID des exécutions précédentes comme ceux d'un autre appareil. Corrigez cela : déplacez ce qui gêne, ou laissez cet utilisateur y écrire
cli-waiting-limited = stepwise : la passerelle limite les requêtes (HTTP 429) : attente de { $secs } s comme elle le demande, puis nouvel essai (Ctrl-C arrête)
cli-waiting-limited-past-deadline = stepwise : la passerelle limite les requêtes (HTTP 429) et demande d'attendre { $secs } s, plus que les { $left } s qui restent du délai (--deadline) : la commande s'arrête au délai. Donnez un --deadline plus long pour attendre, ou réessayez plus tard
cli-arg-not-used = { $command } n'utilise pas { $option } : { $why }
cli-arg-why-demo-api = elle tourne toujours sur le simulateur intégré. Pour une passerelle, lancez `stepwise --api URL`
cli-arg-why-demo-token-file = le simulateur intégré n'a pas besoin de jeton. Pour une passerelle, lancez `stepwise --api URL --token-file PATH`
cli-arg-why-login-token-file = login garde un jeton lu sur l'entrée standard, jamais dans un fichier donné avec lui : `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout oublie la connexion conservée pour la passerelle, et ne lui envoie aucun jeton. Retirez l'option
cli-arg-why-serve-api = c'est lui la passerelle. Diriger plutôt les clients vers son --addr
cli-arg-why-concurrency = il est la passerelle et n'interroge lui-même aucune passerelle ; --concurrency sert aux clients qui l'interrogent. Retirez l'option
cli-arg-why-concurrency-next = elle demande l'étape suivante d'un véhicule, en une requête : rien ne s'exécute en même temps. Retirez l'option
cli-arg-why-serve-car = le simulateur répond pour chaque véhicule de son scénario (le scénario se choisit avec --scenario)
cli-arg-why-session-report = les rapports de session viennent de l'assistant. Retirez l'option
cli-arg-why-serve-client-cert = c'est ce que présente un client. Pour exiger des certificats clients, utilisez serve --tls --client-ca FICHIER
cli-arg-why-doctor-report = elle affiche son rapport à la place. Utilisez --json et redirigez la sortie pour le garder
cli-arg-doctor-one-car = doctor vérifie un seul véhicule : donnez un seul --car (pas de --cars) ; les véhicules d'un tableau se vérifient avec `stepwise steps --cars FICHIER`
cli-arg-why-print-report = elle affiche son résultat à la place. Rediriger la sortie pour le garder, par ex. `--json > steps.json`
cli-arg-why-sign-in-car = la connexion se fait par passerelle, pas par véhicule. Retirez l'option
cli-arg-why-next-car = elle demande par --steps-id seulement. Obtenir un stepsID avec `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id demande une seule liste. Retirez l'un des deux
cli-arg-serve-token-twice = serve prend le jeton à exiger de --token ou de --token-file, pas des deux
cli-arg-serve-token-empty = serve --token est vide, ce qui n'exigerait aucun jeton. Donnez le jeton, ou retirez --token pour un simulateur ouvert à tous
cli-arg-serve-churn = serve --churn demande --fleet N : il fait les étapes des véhicules générés. Ajoutez par ex. --fleet 200
cli-arg-seconds = donnez un nombre de secondes de 0.1 à 86400, par ex. 2
cli-arg-empty = elle est vide : donnez une valeur, ou omettez l'option pour sa valeur par défaut
cli-arg-id = un id fait de 1 à { $max } lettres a–z, A–Z, chiffres, '-' ou '_'
cli-arg-addr-no-port = il manque le port ; donnez HÔTE:PORT, par ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-no-host = { $port } n'a pas d'hôte : donnez HÔTE:PORT, par ex. 127.0.0.1:{ $port } (ou 0.0.0.0:{ $port } pour le réseau de l'atelier)
cli-arg-addr-port = le port n'est pas un nombre de 0 à 65535 ; donnez HÔTE:PORT, par ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-host = l'hôte n'est ni une adresse ni un nom d'hôte ; donnez HÔTE:PORT, par ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-scheme = il commence par un schéma (http:// ou https://), que --addr ne prend pas ; donnez HÔTE:PORT seul, par ex. { $given }
cli-arg-addr-ip = l'adresse IP { $host } n'est pas valide : chacune de ses quatre parties est un nombre de 0 à 255 ; donnez HÔTE:PORT, par ex. 127.0.0.1:8080 ou 192.168.1.20:8080
cli-arg-report-folder = --report { $path } est un dossier. Donnez un nom de fichier dedans, par ex. { $example }
cli-arg-report-slash = --report { $path } se termine par une barre oblique, comme le chemin d'un dossier, et ce dossier n'existe pas. Donnez un nom de fichier, p. ex. session.md
cli-arg-report-not-a-file = --report { $path } n'est pas un fichier ordinaire (un périphérique, un tube ou un lien), et le rapport le remplacerait. Donnez le chemin d'un fichier nouveau ou ordinaire, par ex. session.md
cli-arg-report-is-cars = --report { $path } est le fichier d'identifiants donné avec --cars : le rapport écraserait la liste des véhicules. Donnez un autre nom au rapport, par ex. session.md
cli-arg-report-is-token-file = --report { $path } est le fichier de jeton donné avec --token-file : le rapport écraserait le jeton. Donnez un autre nom au rapport, par exemple session.md
cli-arg-report-is-config = --report { $path } est le fichier de configuration que lit cette exécution : le rapport écraserait ses réglages. Donnez un autre nom au rapport, par exemple session.md
cli-arg-report-not-report = --report { $path } est déjà un fichier qui n'est pas un rapport stepwise : le rapport le remplacerait. Donnez un autre nom au rapport, par ex. session.md, ou déplacez d'abord ce fichier
cli-arg-report-in-data = --report { $path } est dans le dossier de données de stepwise ({ $dir }), où il garde ses connexions et son identifiant d'appareil : le rapport pourrait les écraser. Donnez au rapport un chemin hors de ce dossier, par exemple session.md
cli-arg-report-parent-file = --report { $path } : { $parent } n'est pas un dossier. Choisissez un autre chemin
cli-arg-report-no-folder = --report { $path } : le dossier { $parent } n'existe pas. Créez-le ou choisissez un autre chemin
cli-arg-report-unwritable = --report { $path } ne peut pas être écrit ({ $why }). Choisissez un chemin accessible en écriture
cli-arg-report-unwritable-kept = --report { $path } ne peut pas être écrit ({ $why }). Le rapport de session, notes comprises, a été écrit dans { $kept } à la place ; vérifiez ce qui a changé à ce chemin depuis le démarrage de l'assistant
cli-arg-unknown-lang = langue inconnue { $given } dans { $place } ; stepwise parle { $codes }
cli-arg-unknown-lang-config = langue inconnue { $given } dans lang du fichier de configuration ; stepwise parle { $codes }
cli-arg-man-failed = impossible de produire la page de manuel : { $error }
cli-arg-cars-unreadable = impossible de lire --cars { $path } : { $error }. Vérifiez le chemin (un id par ligne, ou un CSV)
cli-arg-cars-workbook = --cars { $path } est un classeur Excel, pas du texte : dans Excel, enregistrez-le avec Enregistrer sous, « CSV UTF-8 », et donnez ce fichier
cli-arg-cars-not-text = --cars { $path } n'est pas un fichier texte (il contient des caractères de contrôle) : donnez un fichier texte avec un carAssociationID par ligne, ou un CSV
cli-arg-cars-bad = --cars { $path } : { $error }
cars-bad-line = ligne { $line } « { $id } »
cars-bad-more = et { $n } de plus
cars-bad = { $lines } : pas un carAssociationID (1 à { $max } lettres a–z, A–Z, chiffres, « - » ou « _ »). Corrigez ou supprimez { $count ->
    [one] cette ligne
   *[other] ces lignes
}
cars-excel-number = Une ligne contient un long nombre tel qu'Excel l'écrit (comme 9,87654E+11) : dans Excel, mettez la colonne au format Texte, retapez les identifiants et enregistrez à nouveau.
cars-heading-no-ids = sa première ligne « { $heading } » ne désigne aucune colonne comme carAssociationID, et aucune colonne en dessous ne contient que des identifiants (un VIN ou une plaque d'immatriculation n'est pas un carAssociationID). Intitulez la colonne des identifiants carAssociationID (ou N° véhicule), ou mettez un id par ligne
cars-heading-ambiguous = sa première ligne « { $heading } » ne dit pas quelle colonne contient le carAssociationID, et { $count } colonnes en dessous le pourraient. Intitulez la colonne des identifiants carAssociationID (ou N° véhicule), ou mettez un id par ligne
cli-arg-cars-empty = --cars { $path } ne contient aucun carAssociationID. Mettez un id par ligne
cli-arg-fleet-needs-cars = fleet a besoin de véhicules : donnez --car ID (répété) ou --cars FICHIER, par ex. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps a besoin de --car ID, de --cars FICHIER ou de --steps-id ID
steps-reset-asked = Le cache des étapes a été réinitialisé (resetSteps=true) : la liste ci-dessous est la réponse de la passerelle après la réinitialisation.
cli-wrong-device-hint = Cet appareil obtient son propre stepsID avec `stepwise steps --car ID` ; donnez celui-là à --steps-id.
cli-wrong-device-reset = Le cache des étapes n'a pas été vidé : videz-le plutôt par le carAssociationID, avec `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Cette exécution n'a pas pu garder son id d'appareil (voir l'avertissement ci-dessus) : chaque exécution est donc un nouvel appareil, et un stepsID ne vaut que dans l'exécution qui l'a obtenu. Corrigez d'abord le dossier de données.
cli-arg-output-failed = impossible d'écrire la sortie : { $error }. Vérifiez où va la sortie standard (disque plein ?)
cli-arg-runtime = impossible de démarrer l'environnement asynchrone : { $error }
cli-arg-dumb-terminal = l'assistant ne peut pas dessiner sur un terminal rudimentaire (TERM=dumb). Pour les scripts, utilisez `stepwise steps --car ID [--json]`, ou définissez TERM, par ex. TERM=xterm-256color
cli-arg-demo-scripts = Pour les véhicules de la démo, `stepwise steps --car 987654` (ou 111111, 222222, 333333, 444444) ne répond depuis le même simulateur intégré que là où aucune passerelle n'est configurée (ni --api, ni STEPWISE_API, ni `api` dans le fichier de configuration) ; les F0001… de la démo du tableau n'existent que dans celle-ci
cli-arg-no-terminal = l'assistant a besoin d'un terminal interactif. Pour les scripts, utilisez `stepwise steps --car ID [--json]`
cli-arg-report-written = Rapport de session écrit dans { $path }
cli-arg-report-empty = Rien à signaler : aucun véhicule ouvert et aucune note écrite pendant cette session ({ $path } l'indique).
cli-arg-report-notes-kept = Vos notes ont été gardées : aucun --report n'était donné, et la session s'est terminée sans second q, donc le rapport de session a été écrit dans { $path }
cli-arg-report-notes-unkept = Vos notes n'ont pu être écrites dans aucun rapport (les rapports du dossier de données ne peuvent pas être écrits non plus) ; les voici, à copier :
cli-arg-report-earlier-kept = Le rapport précédent à ce chemin est gardé sous { $path }
cli-arg-internal-error = stepwise s'est arrêté après une erreur interne (son message est ci-dessus) ; le fichier journal en donne le détail pour le support.
cli-arg-scenario-bad = { $error }. Corrigez le fichier ou retirez --scenario
scenario-unreadable = impossible de lire le scénario { $path } : { $error }
scenario-not-json = le scénario { $path } n'est pas le JSON d'un scénario ({ $detail })
scenario-unknown-member = il contient un membre { $member }, qu'un scénario n'a pas, à la ligne { $line }, colonne { $column }
scenario-missing-member-at = il manque le membre { $member } dans l'objet qui se termine à la ligne { $line }, colonne { $column }
scenario-shape-at = sa forme diffère de celle d'un scénario à la ligne { $line }, colonne { $column }
scenario-cut = le scénario { $path } s'arrête avant la fin de son JSON (ligne { $line }, colonne { $column }) : le fichier est tronqué
scenario-syntax = le scénario { $path } n'est pas du JSON valide à la ligne { $line }, colonne { $column } (un guillemet, une virgule ou un crochet manque, ou ce n'est pas un fichier JSON) : corrigez-le là
scenario-bad-id = le scénario { $path } : le carAssociationID { $id } n'est pas fait de lettres a–z, A–Z, chiffres, - ou _
scenario-id-twice = le scénario { $path } : le carAssociationID { $id } apparaît deux fois
scenario-step-names = le scénario { $path } : chaque étape de { $id } doit avoir un nom, chaque nom une seule fois
cli-arg-addr-unresolved = impossible de résoudre --addr { $addr } : { $error }. Donnez une adresse IP ou un nom d'hôte connu de cette machine, par ex. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } ne donne aucune adresse. Donnez une adresse IP, par ex. 127.0.0.1:8080
cli-arg-listen-failed = impossible d'écouter sur { $addr } : { $error }. Choisissez une autre --addr
cli-arg-bound-unknown = impossible de connaître l'adresse liée pour { $addr }. Choisissez une autre --addr
cli-arg-sim-stopped = le simulateur s'est arrêté : { $error }
cli-arg-tls-no-dir = aucun dossier de données où écrire les certificats. Donnez --tls-dir DOSSIER
cli-arg-tls-dir-failed = impossible de créer { $path } : { $error }. Donnez un autre --tls-dir
cli-arg-tls-write-failed = { $error }. Donnez un autre --tls-dir
cli-arg-client-ca-unreadable = impossible de lire le fichier --client-ca { $path } : { $error }. Vérifiez le chemin
cli-arg-client-ca-bad = { $error }. Vérifiez le fichier --client-ca
cli-arg-tls-authority-written = Autorité écrite dans { $path } : les clients lui font confiance avec --ca-file { $path }
cli-arg-tls-client-cert = Un certificat client de cette autorité, pour essayer une passerelle qui en exige un (serve --client-ca { $ca }) : --client-cert { $path }
cli-arg-tls-authority-kept = Autorité d'une exécution précédente conservée dans { $path } (supprimez-y ca.pem, cert.pem et key.pem pour en avoir de nouveaux) : les clients lui font confiance avec --ca-file { $path }
cli-arg-tls-kept-uncovered = Attention : le certificat conservé dans { $path } est fait pour { $names }, pas pour { $missing } : les clients qui mettent { $missing } dans --api auront une erreur de certificat. Supprimez ca.pem, cert.pem et key.pem dans { $dir } pour en faire de nouveaux (les clients font alors confiance au nouveau ca.pem)
cli-arg-tls-kept-bad = les fichiers TLS déjà présents dans { $dir } sont inutilisables ({ $error }). Ils sont laissés tels quels : supprimez-y ca.pem, cert.pem et key.pem pour en faire créer de nouveaux, ou donnez un autre --tls-dir
sim-tls-library = la bibliothèque TLS a refusé la configuration : { $error }
sim-tls-write = { $path } ne peut pas être écrit : { $error }
sim-tls-cert-none = cert.pem ne contient aucun certificat PEM (pas de bloc BEGIN CERTIFICATE)
sim-tls-cert-not-pem = cert.pem n'est pas du PEM valide (un bloc est abîmé)
sim-tls-key-none = key.pem ne contient aucune clé privée PEM
sim-tls-key-mismatch = cert.pem et key.pem ne vont pas ensemble (la clé n'est pas celle du certificat)
sim-tls-client-ca-none = le fichier --client-ca { $path } ne contient aucun certificat PEM (pas de bloc BEGIN CERTIFICATE) : donnez le fichier PEM de l'autorité qui émet les certificats clients
sim-tls-client-ca-not-pem = le fichier --client-ca { $path } n'est pas du PEM valide (un bloc est abîmé)
sim-tls-client-ca-not-authority = le fichier --client-ca { $path } contient un certificat qui ne peut pas servir d'autorité ({ $detail })
cli-arg-tls-partial = { $dir } contient { $present } mais pas tous les fichiers ca.pem, cert.pem et key.pem : rien n'est écrasé (des clients peuvent faire confiance à cette autorité). Ajoutez les fichiers manquants, supprimez ceux-là, ou donnez un autre --tls-dir
cli-arg-tls-client-ca-required = Certificats clients signés par { $path } exigés
cli-arg-sim-listening = simulateur stepwise à l'écoute sur { $url } ({ $count ->
        [one] 1 association
       *[other] { $count } associations
    } ; { $required } ; Ctrl-C arrête)
cli-arg-sim-token-either = jeton (bearer) ou jeton de connexion exigé
cli-arg-sim-token-bearer = jeton (bearer) exigé
cli-arg-sim-token-signed-in = jeton de connexion exigé
cli-arg-sim-token-none = aucun jeton exigé
cli-arg-sim-open-network = Attention : { $url } est joignable depuis d'autres machines et ne demande aucun jeton : n'importe qui sur ce réseau peut utiliser les appels de contrôle (/sim/… : terminer ou annuler des étapes, approuver des connexions). Exigez un jeton avec --token-file CHEMIN, ou n'écoutez que sur 127.0.0.1.
cli-arg-sim-reach = Les autres machines et les téléphones le joignent à { $url } : donnez cette adresse à --api sur ces machines (le QR du guide client y pointe alors aussi)
cli-arg-sim-device-sign-in = connexion par appareil active : les jetons durent { $seconds } s ; approuver un code avec POST /sim/device/CODE/approve (ou /deny), ou ouvrir { $url }/device

## Command-line errors: configuration, networks, sign-in storage
# Le fichier de configuration ; { $file } est son chemin, ou son chemin et la variable qui le nomme
err-config-named-by = { $path } (indiqué par STEPWISE_CONFIG)
err-config-not-utf8 = le fichier de configuration { $file } n'est pas du texte UTF-8. Enregistrez-le en TOML UTF-8
err-config-missing = le fichier de configuration { $file } n'existe pas. Créez-le, ou corrigez ou supprimez STEPWISE_CONFIG
err-config-folder-named = le fichier de configuration { $file } est un dossier, pas un fichier. Corrigez STEPWISE_CONFIG ou supprimez-la
err-config-folder = le fichier de configuration { $file } est un dossier, pas un fichier. Supprimez-le ou mettez-y un fichier de configuration
err-config-unreadable = impossible de lire le fichier de configuration { $file } : { $kind }. Rendez-le lisible pour vous
err-config-unreadable-other = impossible de lire le fichier de configuration { $file } : { $kind }. Corrigez ce qui ne va pas là, ou faites pointer STEPWISE_CONFIG vers un autre fichier de configuration
err-config-invalid-at = le fichier de configuration { $file } n'est pas valide à la ligne { $line }, colonne { $column } : { $why }. Clés connues : api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = le fichier de configuration { $file }, ligne { $line } : une barre oblique inverse dans un texte entre "…" commence un échappement (\t est une tabulation, \n un saut de ligne), un chemin Windows s'y casse donc. Écrivez le chemin entre apostrophes ('C:\Users\moi\tok'), ou avec / ou \\ à la place de chaque \
err-config-empty-path = le fichier de configuration { $file }, ligne { $line } : { $key } est vide, il ne nomme donc aucun fichier. Donnez le chemin du fichier, ou supprimez la ligne
err-config-invalid = le fichier de configuration { $file } n'est pas valide : { $why }. Clés connues : api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = le fichier de configuration { $file } n'est pas valide à la ligne { $line }, colonne { $column } : { $why }
err-config-syntax = le fichier de configuration { $file } n'est pas valide : { $why }
config-unknown-key = { $key } n'est pas une clé que stepwise connaît
config-wants-text = cette valeur doit être du texte entre guillemets (clé = "valeur")
config-quote = une valeur texte se met entre guillemets (clé = "valeur")
config-unclosed = un texte entre guillemets n'est pas fermé. Terminez-le par le guillemet qui l'ouvre (" ou ')
config-no-equals = une clé et sa valeur sont reliées par = (clé = "valeur"), pas par deux-points ni par une espace
config-extra-equals = un seul = se met entre une clé et sa valeur (clé = "valeur")
config-duplicate = cette clé est donnée une seconde fois. Gardez-en une seule
config-one-per-line = une seule clé = "valeur" par ligne, sans rien après la valeur qu'un commentaire #
config-table = ce fichier ne prend pas d'en-tête [section] : chaque réglage est une ligne à lui, clé = "valeur"
config-no-key = la clé manque avant le = : chaque réglage est une ligne clé = "valeur", par ex. api = "https://gateway.example"
# Fichier de jeton et jeton donné en texte ; { $from } dit où il a été donné
err-from-config-token = le fichier de configuration
err-from-stdin = l'entrée standard
err-from-config-token-file = token_file du fichier de configuration
err-from-config-ca-file = ca_file du fichier de configuration
err-token-file-missing = le fichier de jeton { $path } (de { $from }) n'existe pas. Vérifiez le chemin, ou enregistrez-y le jeton
err-token-file-unexpanded = le fichier de jeton { $path } (de { $from }) n'existe pas : seuls un ~/ ou un $HOME/ en tête sont développés dans un chemin, toute autre variable y est prise telle quelle. Donnez le chemin complet
err-token-file-folder = le fichier de jeton { $path } (de { $from }) est un dossier. Donnez le fichier qui contient le jeton, pas son dossier
err-token-file-denied = le fichier de jeton { $path } (de { $from }) ne peut pas être lu : permission refusée. Rendez-le lisible pour vous (p. ex. chmod 600)
err-token-file-unreadable = le fichier de jeton { $path } (de { $from }) ne peut pas être lu ({ $kind }). Vérifiez le chemin et le fichier
err-token-file-not-utf8 = le fichier de jeton { $path } (de { $from }) n'est pas du texte UTF-8. Mettez-y le jeton de la passerelle en texte brut
err-token-file-empty = le fichier de jeton { $path } (de { $from }) est vide. Mettez-y le jeton de la passerelle, seul sur une ligne
err-token-file-characters = le fichier de jeton { $path } (de { $from }) contient des espaces ou des caractères impossibles dans un jeton. Mettez le jeton seul sur une ligne, tel que la passerelle l'a donné
err-token-file-bearer = le fichier de jeton { $path } (de { $from }) contient le mot Bearer avant le jeton : retirez le mot Bearer et laissez le jeton seul sur sa ligne ; stepwise ajoute Bearer lui-même
err-token-file-wrapped = le fichier de jeton { $path } (de { $from }) contient le jeton { $shape } : ne gardez que le jeton lui-même, seul sur sa ligne, tel que la passerelle l'a émis
err-serve-token-file-characters = le fichier de jeton { $path } (de serve --token-file) contient des espaces, des guillemets ou des caractères qu'un jeton ne peut pas avoir. Le jeton du simulateur est à vous de choisir : mettez-en un fait de lettres, chiffres et - . _ ~ + / seulement, seul sur sa ligne
err-token-file-lines = le fichier de jeton { $path } (de { $from }) contient { $n ->
    [one] { $n } ligne
   *[other] { $n } lignes
}. Un fichier de jeton contient le jeton seul sur une ligne
err-token-text = le jeton dans { $from } contient des espaces, des sauts de ligne ou des caractères impossibles dans un jeton. Donnez le jeton exactement tel que la passerelle l'a émis
err-token-text-bearer = le jeton dans { $from } commence par le mot Bearer : retirez le mot Bearer et donnez le jeton seul ; stepwise ajoute Bearer lui-même
err-token-text-wrapped = le jeton de { $from } est donné { $shape } : donnez le jeton lui-même, tel que la passerelle l'a émis
err-serve-token-text = le jeton du simulateur (serve --token ou STEPWISE_SERVE_TOKEN) contient des espaces, des guillemets ou des caractères qu'un jeton ne peut pas avoir. C'est à vous de le choisir : n'utilisez que lettres, chiffres et - . _ ~ + /
token-shape-quoted = entre guillemets
token-shape-assignment = sous la forme nom=valeur (une ligne de script ou de fichier .env)
token-shape-json = dans du JSON (comme une réponse de fournisseur d'identité : la valeur de son access_token est le jeton)
token-shape-punctuated = suivi d'un « ; » ou d'une « , » (copié d'une ligne de commande ou d'une liste)
token-shape-header = comme une ligne d'en-tête entière (`Authorization: Bearer …` ; stepwise ajoute lui-même l'en-tête et le mot Bearer)
err-token-text-empty = le jeton dans { $from } est vide. Donnez le jeton exactement tel que la passerelle l'a émis, ou retirez ce réglage
err-config-token-not-text = le fichier de configuration { $file } donne un jeton qui n'est pas du texte entre guillemets (sa valeur n'est pas affichée). Écrivez-le token = "…", exactement tel que la passerelle l'a émis
err-file-too-large = plus de { $limit } Kio, bien plus qu'un tel fichier n'en contient jamais
err-io-not-found = fichier introuvable
err-io-denied = permission refusée (cet utilisateur ne peut pas le lire)
err-io-folder = c'est un dossier, pas un fichier
err-io-not-text = ce n'est pas du texte UTF-8
# URL
err-user-info-gateway = l'URL de la passerelle contient un nom d'utilisateur ou un mot de passe (user:password@host), que stepwise ne montre ni n'envoie. Retirez-le de --api, STEPWISE_API ou api dans le fichier de configuration ; le jeton de la passerelle va dans --token-file, STEPWISE_TOKEN ou le fichier de configuration
err-user-info-docs = l'URL de base de la documentation contient un nom d'utilisateur ou un mot de passe (user:password@host), que stepwise ne montre ni n'envoie. Retirez-le de { $place } ; le jeton de la passerelle va dans --token-file, STEPWISE_TOKEN ou le fichier de configuration
err-docs-url = l'URL de base de la documentation { $url } n'est pas une URL http(s). Corrigez { $place }, p. ex. https://help.dealer.example
err-docs-url-why = l'URL de base de la documentation { $url } est inutilisable : { $why }. Corrigez { $place }, p. ex. https://help.dealer.example
docs-place-config = docs_base_url dans le fichier de configuration
err-api-scheme = l'URL de la passerelle { $url } ne dit pas http:// ou https:// : ajoutez http:// ou https:// devant, par ex. http://{ $url }
err-api-scheme-typo = l'URL de la passerelle { $url } a un schéma mal écrit (il faut ://) : écrivez { $fixed }
err-api-empty = --api (ou STEPWISE_API) est donné mais vide : donnez l'URL de la passerelle, p. ex. --api http://127.0.0.1:8080, ou omettez-le pour utiliser le simulateur intégré
err-api-empty-in-file = `api` dans le fichier de configuration ({ $path }) est vide : donnez-y l'URL de la passerelle, par ex. api = "http://127.0.0.1:8080", ou retirez la ligne pour utiliser le simulateur intégré
# Certificats, clés et proxys ; { $why } termine la phrase qui nomme le fichier
err-ca-file = le fichier d'autorité (CA) { $path } { $why }. Donnez un fichier PEM de l'autorité avec --ca-file
err-ca-file-from = le fichier d'autorité (CA) { $path } (de { $from }) { $why }. Corrigez { $from } pour qu'il désigne un fichier PEM de l'autorité, ou retirez ce réglage
err-client-cert = le certificat client { $path } { $why }. Donnez un certificat PEM avec --client-cert (et sa clé avec --client-key)
err-client-cert-bare = le certificat client { $path } { $why }
err-key-not-in-cert = le certificat client { $path } { $why } ; mettez la clé dans le même fichier ou donnez --client-key. Donnez un certificat PEM avec --client-cert (et sa clé avec --client-key)
err-client-key = la clé client { $path } { $why }. Donnez la clé privée du certificat (PEM) avec --client-key
err-key-mismatch = la clé client { $key } ne correspond pas au certificat { $cert }. Donnez la clé créée avec ce certificat
err-key-without-cert = --client-key { $key } a été donné sans --client-cert. Donnez les deux
err-key-without-cert-config = `client_key` dans le fichier de configuration désigne { $key }, mais aucun certificat client n'est indiqué : ajoutez `client_cert` au fichier de configuration (ou donnez --client-cert)
err-pem-missing = est illisible (introuvable)
err-pem-denied = est illisible (permission refusée)
err-pem-unreadable = est illisible ({ $kind })
err-pem-not-pem = n'est pas du PEM valide ({ $detail })
err-pem-no-certificate = ne contient aucun certificat PEM (pas de bloc BEGIN CERTIFICATE)
err-pem-no-key = ne contient aucune clé privée PEM (pas de bloc BEGIN PRIVATE KEY)
err-pem-encrypted = est chiffrée par une phrase secrète, et les clés chiffrées ne sont pas prises en charge. Déchiffrez-la une fois avec `openssl pkey -in CLE -out CLAIRE.key` et gardez ce fichier privé
err-pem-bad-key = n'est pas une clé PEM valide ({ $detail })
err-pem-no-authority = ne contient aucune autorité de certification utilisable
err-pem-unusable = est inutilisable ({ $detail })
err-pem-cert-version1 = est inutilisable : c'est un certificat X.509 version 1 (sans extensions), que la bibliothèque TLS de stepwise ne peut pas présenter, même là où une passerelle l'accepterait ; demandez un certificat version 3 à qui les émet
err-pem-cert-refused = est inutilisable : la bibliothèque TLS refuse ce certificat ; demandez-en un nouveau à qui les émet
err-proxy = le proxy de { $from } est inutilisable : { $why }. Donnez-le sous la forme http://HOST:PORT, ou supprimez { $from } pour vous connecter en direct
err-proxy-socks = le proxy de { $from } est un proxy SOCKS ({ $scheme }://), et stepwise ne parle qu'aux proxys HTTP. Demandez le proxy HTTP du réseau et donnez-le sous la forme http://HOST:PORT, ou supprimez { $from } pour vous connecter en direct
err-proxy-not-url = ce n'est pas une URL ({ $detail })
err-proxy-scheme = le schéma { $scheme } n'est pas pris en charge (proxys http:// seulement)
err-proxy-no-host = il n'a pas d'hôte
err-proxy-userinfo-chars = le nom d'utilisateur ou le mot de passe qu'elle contient a un \, /, ? ou #, qu'une URL n'accepte là qu'encodé en pourcent : écrivez \ en %5C (DOMAINE%5Cutilisateur), / en %2F, ? en %3F et # en %23
err-tls-setup = impossible de configurer TLS : { $detail }
# Où les connexions sont gardées : le trousseau ou le fichier de connexion ; { $why } et { $kind } sont les mots du système
err-store-choice = STEPWISE_TOKEN_STORE doit valoir keyring, file ou auto, pas { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, mais le trousseau est inutilisable : { $why }. { $fix }
err-store-nowhere = il n'y a ni trousseau ni dossier de données pour garder le jeton. Définissez HOME, ou donnez un jeton avec --token-file
err-store-no-data-dir = il n'y a pas de dossier de données pour garder le jeton ; définissez HOME
err-store-encode = impossible d'encoder la connexion : { $detail }
err-store-unreadable = la connexion gardée pour { $gateway } ne peut pas être lue. Lancez `stepwise logout`, puis `stepwise login`
err-store-too-slow = le trousseau n'a pas répondu en { $secs } s. Déverrouillez-le, ou mettez STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = le trousseau a refusé une entrée pour { $gateway } : { $why }
err-store-keyring-read = impossible de lire la connexion dans le trousseau ({ $name }) : { $why }. { $fix }
err-store-keyring-write = impossible de garder la connexion dans le trousseau ({ $name }) : { $why }. { $fix }
err-store-keyring-too-small = la connexion est trop longue pour le trousseau ({ $name }), qui contient au plus { $max } octets par entrée. Mettez STEPWISE_TOKEN_STORE=file pour la garder dans un fichier
err-store-keyring-remove = impossible de retirer la connexion du trousseau ({ $name }) : { $why }
keyring-no-bus = aucun bus de session du bureau (D-Bus) n'est joignable, donc aucun trousseau ne peut être interrogé (une session SSH ou de service, ou un conteneur, n'en a pas)
keyring-locked = le trousseau est verrouillé, ou sa demande de déverrouillage a été fermée
keyring-no-service = aucun service de trousseau (Secret Service, comme GNOME Keyring ou KWallet) ne répond
keyring-malformed = le secret qui y est conservé est endommagé
keyring-other = le trousseau a répondu : { $detail }
keyring-fix-no-bus = Lancez stepwise dans la session du bureau, ou mettez STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Déverrouillez-le, ou mettez STEPWISE_TOKEN_STORE=file
keyring-fix-start = Déverrouillez-le ou démarrez-le, ou mettez STEPWISE_TOKEN_STORE=file
err-store-file-damaged = le fichier de connexion { $path } est endommagé : ce n'est pas le JSON qu'écrit stepwise (il a été lu, mais pas compris). Il contient les connexions gardées de toutes les passerelles, et aucune n'est utilisable : mettez-le de côté (ou supprimez-le)
err-login-file-damaged = { $why }, puis relancez cette commande
err-store-file-read = impossible de lire le fichier de connexion { $path } : { $kind }. Vérifiez ses permissions
err-store-file-in-the-way = impossible de lire le fichier de connexion { $path } : { $kind }. Déplacez ce qui gêne, pour que le dossier de données soit un dossier
err-store-file-is-folder = impossible de lire le fichier de connexion { $path } : c'est un dossier, pas un fichier. Déplacez ou supprimez ce dossier (stepwise écrit ses connexions dans un fichier de ce nom), puis reconnectez-vous
err-store-file-remove = impossible de supprimer le fichier de connexion { $path } : { $kind }
err-store-file-folder = impossible de créer le dossier du fichier de connexion { $path } : { $kind }. Vérifiez les permissions du dossier de données
err-store-file-create = impossible de créer le fichier de connexion { $path } : { $kind }. Vérifiez les permissions du dossier de données
err-store-file-write = impossible d'écrire le fichier de connexion { $path } : { $kind }. Vérifiez les permissions du dossier de données
err-store-file-replace = impossible de remplacer le fichier de connexion { $path } : { $kind }. Vérifiez les permissions du dossier de données
# Se connecter depuis un terminal simple : stepwise login, logout et auth status
err-login-no-gateway = { $command } a besoin d'une passerelle : donnez --api URL (ou STEPWISE_API, ou `api` dans le fichier de configuration). Le simulateur intégré n'a pas besoin de connexion
cli-api-from-env = L'adresse de la passerelle vient de STEPWISE_API, pas de --api : corrigez-la là, ou donnez --api (qui l'emporte)
cli-api-from-config = L'adresse de la passerelle vient de `api` dans le fichier de configuration { $path }, pas de --api : corrigez-la là, ou donnez --api (qui l'emporte)
err-login-cancelled = connexion annulée ; rien n'a été gardé
err-login-keep-failed = impossible de garder le jeton : { $detail }
err-login-read-failed = impossible de lire le jeton : { $detail }
err-login-terminal = impossible de lire le jeton depuis le terminal : { $kind }. Donnez-le sur l'entrée standard : `stepwise login --with-token < token.txt`
err-login-stdin = impossible de lire le jeton sur l'entrée standard : { $kind }. Donnez-le en texte, sur une ligne
err-login-token-lines = l'entrée standard contient plusieurs lignes, et un jeton n'en fait qu'une : donnez le jeton seul, sur une ligne (un jeton coupé par un courriel ou un terminal doit être recollé) ; rien n'a été conservé
err-login-token-refused = la passerelle { $gateway } a refusé ce jeton (HTTP 401), il n'a donc pas été gardé. Demandez son jeton actuel à qui exploite la passerelle
err-login-token-dropped = le jeton n'a pas été gardé : la passerelle à { $gateway } répond comme si aucun jeton ne l'avait atteinte (son défi ne nomme aucune erreur), et l'appel est passé par le proxy { $proxy }, qui retire peut-être l'en-tête Authorization ; on ne sait donc pas si la passerelle prend le jeton. Définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy, ou demandez à l'exploitant du proxy de laisser passer l'en-tête Authorization
err-login-token-untried-not-kept = le jeton n'a pas été conservé, car il n'a pas pu être essayé : { $why }. Conservez-le une fois que le proxy laisse passer la requête (ou que NO_PROXY l'évite)
err-login-token-refused-signin = la passerelle { $gateway } a refusé ce jeton (HTTP 401), il n'a donc pas été conservé. Cette passerelle offre la connexion, dont les jetons se renouvellent d'eux-mêmes : lancez `stepwise login` (sans --with-token)
err-login-refused-through-proxy = L'appel est passé par le proxy { $proxy } (de { $from }), qui peut retirer l'en-tête Authorization en chemin, si bien que la passerelle n'a vu aucun jeton : avant toute autre chose, mettez NO_PROXY={ $host } et réessayez, si la passerelle est joignable sans le proxy
err-login-token-scope = la passerelle à { $gateway } a pris ce jeton, mais dit qu'il lui manque la portée { $scope } (son WWW-Authenticate : insufficient_scope), donc les étapes seraient refusées avec lui : il n'a pas été conservé. Demandez un jeton qui a cette portée à qui fournit les jetons
err-login-token-scope-unnamed = la passerelle à { $gateway } a pris ce jeton, mais dit qu'il lui manque une portée qu'elle ne nomme pas (son WWW-Authenticate : insufficient_scope), donc les étapes seraient refusées avec lui : il n'a pas été conservé. Demandez à l'exploitant de la passerelle laquelle, puis un jeton qui l'a à qui fournit les jetons
err-login-kept-unchanged = { $words }. La connexion gardée avant pour cette passerelle reste inchangée
err-login-no-token = l'entrée standard ne contient aucun jeton utilisable : donnez une ligne de caractères visibles (sans espaces), 8 Kio au plus
err-logout-failed = impossible de retirer le jeton : { $detail }
err-logout-unreached = la révocation chez le fournisseur d'identité a échoué ({ $why }), la connexion est donc gardée ici : son jeton de renouvellement reste valable chez le fournisseur, et `stepwise logout` pourra le révoquer dès que le fournisseur sera joignable. Pour l'oublier ici sans la révoquer, lancez `stepwise logout --forget`
err-logout-wait = la révocation chez le fournisseur d'identité a échoué pour l'instant ({ $why }), et le fournisseur demande d'attendre { $wait }, la connexion est donc gardée ici : relancez `stepwise logout` après cette attente pour la révoquer. Pour l'oublier ici sans la révoquer, lancez `stepwise logout --forget`
err-logout-proxy = la révocation chez le fournisseur d'identité a échoué : { $words }. La connexion est gardée ici jusqu'à ce que `stepwise logout` puisse la révoquer ; pour l'oublier ici sans la révoquer, lancez `stepwise logout --forget`
err-logout-unreached-access = la révocation chez le fournisseur d'identité a échoué ({ $why }), la connexion est donc gardée ici : son jeton reste valable chez le fournisseur jusqu'à son expiration, et `stepwise logout` pourra le révoquer dès que le fournisseur sera joignable. Pour l'oublier ici sans la révoquer, lancez `stepwise logout --forget`
# La connexion par appareil de la passerelle : découverte et réponses du fournisseur d'identité ; { $said } est l'erreur du fournisseur lui-même
err-signin-endpoint-device = adresse
err-signin-endpoint-token = adresse de jeton
err-signin-endpoint-verification = adresse de vérification
err-signin-address-not-url = ce n'est pas une URL
err-signin-address-plain-http = http simple derrière une passerelle https
err-signin-address-not-http = ce n'est pas une URL http(s)
err-signin-address-no-host = pas d'hôte
err-signin-address = l'{ $what } de connexion de la passerelle { $url } est inutilisable : { $why }. Prévenez l'exploitant de la passerelle, ou connectez-vous avec `stepwise login --with-token`
err-signin-address-provider = l'{ $what } de connexion du fournisseur d'identité { $url } est inutilisable : { $why }. Le code ne peut pas y être approuvé : prévenez l'exploitant du fournisseur d'identité
err-signin-discovery-status = la passerelle { $gateway } a répondu HTTP { $status } à la découverte de connexion ({ $path }). Réessayez plus tard, ou connectez-vous avec `stepwise login --with-token`
err-signin-discovery-blocked = la découverte de la connexion sur { $gateway } a reçu une page web avec HTTP { $status }{ $said }, pas la réponse de la passerelle : un élément placé devant la passerelle (un pare-feu, un pare-feu applicatif ou un proxy inverse) l'a refusée, on ne sait donc pas si la passerelle offre une connexion. Demandez à qui gère le réseau s'il bloque cette adresse
err-signin-discovery-silent = la passerelle { $gateway } a accepté la connexion, mais sa découverte de connexion ({ $path }) n'a pas répondu à temps. Réessayez plus tard ; si cela continue, prévenez l'exploitant de la passerelle
err-signin-discovery-named = la passerelle à { $gateway } nomme ses métadonnées de connexion à { $url } (dans le défi de sa réponse HTTP 401), et cette adresse n'a pas pu servir ({ $met }) : la réponse de la passerelle elle-même était bonne, son adresse de connexion non. Prévenez qui gère la passerelle ; si vous connaissez le fournisseur d'identité de cette passerelle, indiquez-le avec --issuer (ou STEPWISE_ISSUER, `issuer` dans le fichier de configuration)
named-met-page = une page web, pas des métadonnées JSON
named-met-not-http = ce n'est pas une adresse http(s)
named-met-no-server = ses métadonnées ne nomment aucun serveur d'autorisation
err-signin-discovery-not-json = le document de découverte de connexion de la passerelle ({ $path }) n'est pas du JSON valide. Prévenez l'exploitant de la passerelle, ou connectez-vous avec `stepwise login --with-token`
err-signin-issuer-not-json = les métadonnées du fournisseur d'identité ({ $url }) ne sont pas du JSON valide : vérifiez --issuer (ou STEPWISE_ISSUER) s'il est donné, sinon prévenez l'exploitant de la passerelle ; ou connectez-vous avec `stepwise login --with-token`
err-signin-issuer-page = les métadonnées du fournisseur d'identité ({ $url }) sont une page web{ $said }, pas son JSON : l'adresse est un site web ou un portail, pas le fournisseur d'identité. Vérifiez --issuer (ou STEPWISE_ISSUER) s'il est donné, sinon prévenez l'exploitant de la passerelle ; si un portail répond à la place du fournisseur, demandez à qui gère le réseau
err-signin-discovery-missing = le document de découverte de connexion de la passerelle n'a pas de { $field } : elle n'offre pas la connexion par appareil. Connectez-vous avec `stepwise login --with-token`
err-login-no-device = --device demande une connexion par appareil, et le fournisseur d'identité de { $gateway } n'en offre pas (ses métadonnées n'ont pas de device_authorization_endpoint). Connectez-vous sans --device sur une machine où un navigateur peut s'ouvrir, ou gardez un jeton donné par qui gère la passerelle (`stepwise login --with-token`)
err-signin-not-offered-status = la passerelle { $gateway } n'offre pas de connexion (pas de /.well-known/oauth-authorization-server, HTTP { $status }). Si --api est juste, elle prend un jeton fixe de qui la gère : conservez ce jeton avec `stepwise login --with-token`
err-signin-not-offered = la passerelle { $gateway } n'offre pas de connexion (pas de /.well-known/oauth-authorization-server). Si --api est juste, elle prend un jeton fixe de qui la gère : conservez ce jeton avec `stepwise login --with-token`
err-login-not-needed = la passerelle { $gateway } ne propose pas de connexion, et elle a répondu sans jeton : elle n'en demande aucun ici, il n'y a donc rien à quoi se connecter ni rien à conserver. Lancez `stepwise steps --car ID` tel quel
err-login-refused-at-once = connecté, mais la passerelle { $gateway } a refusé le jeton que le fournisseur d'identité vient d'émettre (HTTP 401, essayé une fois) : elle ne prend aucun des jetons de ce fournisseur tels qu'ils sont demandés. Demandez à qui exploite la passerelle quelle audience et quels scopes elle veut, et donnez l'audience avec --audience ou `audience` dans le fichier de configuration ; la connexion est gardée d'ici là (`stepwise logout` l'oublie)
err-login-scope-at-once = connecté, mais la passerelle { $gateway } dit qu'il manque la portée { $scope } au jeton que le fournisseur d'identité vient d'émettre (son WWW-Authenticate : insufficient_scope, essayé une fois), donc les étapes seraient refusées avec lui. { $why } La connexion est gardée d'ici là (`stepwise logout` l'oublie)
login-scope-not-granted = Le fournisseur n'a accordé que { $granted } : demandez à son administrateur d'accorder { $scope } au client stepwise.
login-scope-asked = La connexion a demandé { $scope }, se reconnecter demande donc la même chose : demandez à l'administrateur du fournisseur s'il accorde { $scope } à stepwise, ou à l'opérateur de la passerelle quelle portée ou audience elle veut.
login-scope-not-asked = Reconnectez-vous en la demandant : `stepwise login --scope "{ $ask }"` (ou `scopes` dans le fichier de configuration).
err-signin-too-large = la réponse de { $url } dépasse { $kib } Kio. Vérifiez que --api pointe vers une passerelle d'étapes
err-signin-compressed-proxy = l'appel de connexion à { $url } est revenu compressé ({ $encoding }) à travers le proxy { $proxy }, alors que stepwise demande les réponses telles quelles : le proxy, ou le serveur derrière lui, les compresse. Demandez à qui gère le proxy, ou prévenez l'exploitant de la passerelle ; mettez NO_PROXY={ $host } si l'adresse est joignable sans le proxy, ce qui montre aussi qui le fait
err-signin-compressed = l'appel de connexion à { $url } est revenu compressé ({ $encoding }), alors que stepwise demande les réponses telles quelles : quelque chose devant le fournisseur d'identité les compresse. Prévenez l'exploitant de la passerelle
err-signin-redirected = l'appel de connexion à { $url } a reçu une redirection vers { $to } ; stepwise n'envoie aucun code ni jeton de connexion à une autre adresse. Demandez à l'administrateur de la passerelle l'adresse propre du fournisseur de connexion
err-signin-code-refused = le fournisseur d'identité a refusé de donner un code ({ $said }). Réessayez plus tard, ou connectez-vous avec `stepwise login --with-token`
err-signin-code-busy = le fournisseur d'identité ne peut pas donner de code pour l'instant ({ $said }). Attendez une minute et relancez `stepwise login`, ou connectez-vous avec `stepwise login --with-token`
err-signin-code-busy-wait = le fournisseur d'identité ne peut pas donner de code pour l'instant ({ $said }) et demande d'attendre { $wait }. Relancez `stepwise login` après cette attente
err-signin-metadata-busy = le fournisseur d'identité à { $issuer } ne peut pas donner ses métadonnées de connexion pour l'instant (HTTP { $status }) : il est occupé ou limite les requêtes, et l'émetteur est le bon. Réessayez dans une minute
err-signin-metadata-busy-wait = le fournisseur d'identité à { $issuer } ne peut pas donner ses métadonnées de connexion pour l'instant (HTTP { $status }) et demande d'attendre { $wait } : il est occupé ou limite les requêtes, et l'émetteur est le bon. Réessayez après cette attente
err-signin-not-device-code = la réponse du fournisseur d'identité à { $url } n'est pas un code d'appareil (RFC 8628). Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
err-signin-device-code-lacks = la réponse du fournisseur d'identité à { $url } est un code d'appareil sans son { $member } (RFC 8628 §3.2), la connexion ne peut donc pas continuer. Prévenez l'exploitant du fournisseur
err-signin-bad-device-code = le fournisseur d'identité a donné un code d'appareil inutilisable. Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
err-signin-unsafe-user-code = le fournisseur d'identité a donné un code qui ne peut pas être affiché sans risque ({ $code }). Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
err-signin-not-token-answer = la réponse de jeton du fournisseur d'identité est inutilisable : ce n'est pas une réponse de jeton (RFC 6749). Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
err-signin-not-bearer = la réponse de jeton du fournisseur d'identité est inutilisable : le jeton n'est pas de type Bearer. Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
err-signin-token-characters = la réponse de jeton du fournisseur d'identité est inutilisable : le jeton contient des caractères qu'un en-tête ne peut pas porter. Vérifiez l'adresse de l'émetteur (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration) s'il en est donné un, sinon prévenez l'exploitant de la passerelle
err-signin-token-empty = la réponse de jeton du fournisseur d'identité est inutilisable : son access_token est vide. Prévenez l'exploitant du fournisseur ; si un émetteur est donné (--issuer, STEPWISE_ISSUER ou `issuer` dans le fichier de configuration), vérifiez que c'est le bon
err-signin-stopped = le fournisseur d'identité a arrêté la connexion ({ $said }). Relancez `stepwise login`
err-signin-grant-unsupported = le fournisseur d'identité ne sert pas la connexion avec un code sur un autre appareil ({ $said }) : se connecter à nouveau ainsi obtient la même réponse. Connectez-vous plutôt dans un navigateur s'il le propose (`stepwise login` sans --device, sur une machine avec un bureau), ou gardez un jeton avec `stepwise login --with-token` ; prévenez l'exploitant du fournisseur si la connexion par appareil devrait fonctionner
err-signin-code-too-short = le code du fournisseur d'identité dure { $lives }, mais le fournisseur demande à n'être interrogé que toutes les { $every } : le code expire avant de pouvoir être demandé une seule fois, aucune approbation ne peut donc passer (rien n'a été interrogé). Prévenez l'exploitant du fournisseur : la durée de vie ou l'intervalle d'interrogation de ses codes d'appareil est mal réglé
err-signin-code-expired-early = le fournisseur d'identité a dit le code expiré au bout de { $after }, alors qu'il lui donnait { $lives } : aucune approbation n'aurait pu venir plus tôt. Son horloge ou la durée de vie de ses codes est fausse (ou le code a déjà servi) : prévenez qui gère le fournisseur
err-signin-code-lifetime-none = le code d'appareil du fournisseur d'identité dure { $said } s selon sa réponse (expires_in) : il est expiré avant que quiconque puisse l'approuver, donc rien n'a été interrogé. Prévenez l'exploitant du fournisseur : la durée de vie de ses codes d'appareil est mal réglée
err-signin-poll-failing = pendant que le code attendait l'approbation, le fournisseur d'identité a échoué { $times } fois de suite ({ $said }), si bien que la connexion a été abandonnée. Attendez { $wait }, puis connectez-vous de nouveau pour un nouveau code ; si cela persiste, prévenez qui gère le fournisseur
err-signin-poll-failing-page = pendant que le code attendait l'approbation, l'adresse des jetons du fournisseur d'identité a reçu { $times } fois de suite une page web pour réponse ({ $said }) : quelque chose devant le fournisseur (un répartiteur de charge ou un proxy inverse) est en échec, si bien que la connexion a été abandonnée. Attendez { $wait }, puis connectez-vous de nouveau pour un nouveau code ; si cela persiste, prévenez qui gère le fournisseur
err-signin-limited = le fournisseur d'identité limite les requêtes (HTTP 429) et demande d'attendre { $wait }, plus longtemps que le code ne dure. Relancez `stepwise login` après cette attente
err-signin-refresh-failed = le fournisseur d'identité n'a pas pu renouveler le jeton ({ $said }). Réessayez dans une minute
err-signin-refresh-failed-wait = le fournisseur d'identité n'a pas pu renouveler le jeton pour l'instant ({ $said }) et demande d'attendre { $secs } s. Réessayez ensuite
err-signin-renewal-lost = le renouvellement du jeton envoyé à { $url } n'a reçu aucune réponse (la connexion a été fermée ou est restée muette après la requête) : le fournisseur d'identité a peut-être renouvelé la connexion, usant le jeton de renouvellement gardé ici. Réessayez une fois ; s'il dit alors que la connexion est épuisée, reconnectez-vous avec `stepwise login`
err-signin-renewal-lost-proxy = le renouvellement du jeton n'a eu aucune réponse : { $why }. Si le renouvellement a atteint le fournisseur d'identité, il a pu consommer le jeton de rafraîchissement gardé ici : quand le proxy laissera passer les requêtes, réessayez ; s'il dit alors que la connexion est épuisée, reconnectez-vous avec `stepwise login`
err-signin-keeping-failed = l'enregistrement du jeton a échoué : { $detail }. Reconnectez-vous
err-signin-opening-failed = l'ouverture du stockage des jetons a échoué : { $detail }. Reconnectez-vous
err-over-revoked = la connexion à { $gateway } a expiré ou a été révoquée ({ $said })
err-over-spent = la connexion à { $gateway } a été épuisée par un renouvellement antérieur dont la réponse s'est perdue en route ({ $said }) : le fournisseur d'identité l'a très probablement renouvelée alors, et le jeton de renouvellement gardé ici est usé
err-over-marked = le fournisseur d'identité a mis fin à la connexion à { $gateway } ({ $said })
err-over-client-refused = le fournisseur d'identité refuse l'identifiant client { $client } de la connexion à { $gateway } ({ $said }) : il ne le connaît pas, ou ne le laisse plus renouveler les connexions. Indiquez l'identifiant enregistré pour stepwise chez lui avec --client-id ID ou `client_id` dans le fichier de configuration, ou demandez à son administrateur si ce client est encore autorisé
err-over-no-renewal = le fournisseur d'identité ne laisse pas l'identifiant client { $client } renouveler la connexion à { $gateway } ({ $said }) : chaque connexion dure autant que son jeton, et redemander n'y changera rien. Pour vous connecter moins souvent, demandez à l'administrateur du fournisseur d'autoriser les jetons de rafraîchissement pour ce client
err-over-renewal-refused = le fournisseur d'identité a refusé de renouveler la connexion à { $gateway } ({ $said }), et refuserait à nouveau la même demande
err-over-refused-fresh = la passerelle refuse même un jeton que le fournisseur d'identité vient de renouveler : elle ne prend aucun jeton de ce fournisseur tel qu'il est demandé, et se reconnecter de la même façon donnera la même chose. Demandez à qui gère la passerelle quelle audience et quelles portées elle attend, et indiquez l'audience avec --audience ou `audience` dans le fichier de configuration
err-over-refused-new = la passerelle refuse un jeton que le fournisseur d'identité a émis il y a quelques minutes et qui ne peut pas être renouvelé : elle ne prend aucun jeton de ce fournisseur tel qu'il est demandé, et se reconnecter de la même façon donnera la même chose. Demandez à qui gère la passerelle quelle audience et quelles portées elle attend, et indiquez l'audience avec --audience ou `audience` dans le fichier de configuration
err-over-refused-unseen = la passerelle répond comme si aucun jeton ne lui était parvenu (son défi ne nomme aucune erreur), même avec un jeton que le fournisseur d'identité vient de donner : quelque chose entre cette machine et la passerelle (un proxy, un répartiteur de charge) supprime peut-être l'en-tête Authorization, ou la passerelle ne prend aucun jeton de ce fournisseur. Demandez à qui gère le réseau et la passerelle ; si le jeton est en cause, indiquez l'audience attendue par la passerelle avec --audience ou `audience` dans le fichier de configuration
err-over-no-token-address = la connexion gardée n'a pas d'adresse de jeton utilisable

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = attention
doctor-mark-failed = échec
doctor-mark-skipped = non fait
# The name of each check, in the order they are shown.
doctor-check-config = Configuration
doctor-check-device-id = Id. d'appareil
doctor-check-gateway = Adresse passerelle
doctor-check-dns = Résolution du nom
doctor-check-proxy = Proxy
doctor-check-tcp = Connexion TCP
doctor-check-tls = TLS
doctor-check-client-cert = Certificat client
doctor-check-token = Jeton
doctor-check-clock = Horloge
doctor-check-first-list = Première liste
doctor-check-refresh = Relecture stepsID
doctor-check-next-step = Étape suivante
doctor-check-status-filter = Filtre d'état
doctor-check-error-body = Corps d'erreur
doctor-check-events = Événements en direct
doctor-check-guidance = Pages client
doctor-summary = { $failed ->
        [one] { $failed } échec
       *[other] { $failed } échecs
    }, { $warnings ->
        [one] { $warnings } avertissement
       *[other] { $warnings } avertissements
    }, { $ok } ok, { $skipped ->
        [one] { $skipped } non fait
       *[other] { $skipped } non faits
    }
doctor-target-unusable = (réglages inutilisables)
doctor-target-embedded = le simulateur intégré
doctor-skip = non lancé
doctor-skip-settings = non lancé : les réglages sont inutilisables
doctor-skip-no-gateway = non lancé : pas de passerelle
doctor-skip-bad-address = non lancé : aucune adresse de passerelle utilisable
doctor-skip-unreachable = non lancé : la passerelle est injoignable
doctor-skip-proxy = non lancé : aucun passage par le proxy
doctor-skip-insecure = non lancé : pas de connexion sécurisée avec la passerelle
doctor-skip-ca-file = non lancé : le fichier d'autorité (CA) est inutilisable
doctor-skip-run-limit = non lancé : la limite de { $limit } s de doctor pour tout le passage a été atteinte (sa réponse la plus lente jusqu'ici a pris { $secs } s)
doctor-config-no-dir = pas de dossier de configuration sur ce système : les valeurs par défaut s'appliquent
doctor-config-none = aucun fichier à { $path } : les valeurs par défaut s'appliquent
doctor-device-kept = gardé dans { $path }
doctor-device-no-folder = pas gardé : aucun dossier de données n'est connu sur cette machine, chaque lancement est donc un nouvel appareil pour la passerelle
doctor-config-read = { $path } lu
doctor-config-fix = Corrigez le fichier, ou faites pointer STEPWISE_CONFIG vers un autre
doctor-gateway-no-sim = aucune passerelle configurée, et le simulateur intégré ne démarre pas : { $error }
doctor-gateway-unusable = { $address } est inutilisable : { $why }
doctor-gateway-fix = Donnez --api sous la forme https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-fix-env = Corrigez STEPWISE_API, d'où vient cette adresse (ou donnez --api, qui l'emporte), sous la forme https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-fix-config = Corrigez `api` dans le fichier de configuration, d'où vient cette adresse (ou donnez --api, qui l'emporte), sous la forme https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-embedded = aucune configurée : le simulateur intégré à { $url }
doctor-gateway-from-env = { $url } (depuis STEPWISE_API)
doctor-gateway-from-config = { $url } (depuis `api` dans le fichier de configuration)
doctor-url-scheme = seuls http et https sont pris en charge
doctor-url-no-host = il n'y a pas d'hôte
doctor-proxy-none = aucun : connexion directe
doctor-proxy-no-proxy = NO_PROXY contourne le proxy pour { $host } : connexion directe
doctor-proxy-other-scheme = aucun pour les passerelles { $scheme }:// : { $var } est défini, mais il ne sert que les passerelles de l'autre schéma ; connexion directe. Si cette passerelle doit passer par ce proxy, définissez { $wanted } (ou ALL_PROXY)
doctor-proxy-used = { $proxy } (depuis { $from })
doctor-proxy-407 = { $proxy } a répondu à l'appel de la passerelle par 407 Proxy Authentication Required : il demande un nom d'utilisateur et un mot de passe
doctor-proxy-407-refused = { $proxy } a répondu à l'appel de la passerelle par 407 Proxy Authentication Required : il a refusé le nom d'utilisateur et le mot de passe de la variable du proxy
doctor-proxy-401 = { $proxy } a répondu à l'appel de la passerelle par HTTP 401 et une connexion (Basic) : celle du proxy, ou celle d'un serveur web derrière lui
doctor-proxy-401-refused = { $proxy } a répondu à l'appel de la passerelle par HTTP 401 et une connexion (Basic) bien que la variable du proxy porte un nom d'utilisateur et un mot de passe
doctor-proxy-answered = { $proxy } a répondu lui-même à l'appel de la passerelle par HTTP { $status } : la requête n'a jamais atteint la passerelle
doctor-proxy-401-page = l'appel de la passerelle à travers { $proxy } a reçu une page web HTTP 401 sans défi : celle du proxy, ou une qu'il a relayée depuis l'avant de la passerelle (un portail, un proxy inverse), qui demande une connexion à elle
doctor-proxy-bare-401 = l'appel à la passerelle à travers { $proxy } a reçu un HTTP 401 nu, sans corps ni défi : jugé plus bas comme celui de la passerelle (un jeton), bien que le proxy lui-même ait pu le donner
doctor-proxy-gateway-down = { $proxy } a pris l'appel de la passerelle et répondu HTTP { $status } : il n'a pas pu joindre la passerelle, qui ne tourne pas (voir Corps d'erreur)
doctor-proxy-tunnel = { $proxy } (depuis { $from }) { $why }
doctor-tunnel-timeout = n'a pas répondu à CONNECT en { $secs } s
doctor-tunnel-broken = a interrompu la requête CONNECT : { $error }
doctor-tunnel-refused = a refusé le tunnel : { $status }
doctor-tunnel-limited = a répondu lui-même { $status } à CONNECT : le proxy limite les requêtes (aucune règle contre cette destination)
doctor-tunnel-none = a répondu { $status } à CONNECT : il n'ouvre aucun tunnel, c'est donc un serveur web, ou un proxy qui ne sait pas transporter https://. La passerelle n'a pas été interrogée
doctor-tunnel-not-http = a répondu à CONNECT sans HTTP ({ $said }) : la variable du proxy désigne autre chose qu'un proxy HTTP
doctor-tunnel-closed = a fermé la connexion sans répondre à CONNECT : on ne sait pas s'il laisserait passer le tunnel. Réessayez ; si cela persiste, demandez à qui gère le proxy s'il laisse passer CONNECT vers cet hôte
doctor-tunnel-unreached = n'a pas pu joindre la passerelle par le tunnel : { $status }
doctor-tunnel-password-wanted = demande un nom d'utilisateur et un mot de passe pour le tunnel ({ $status }) : mettez-les dans la variable du proxy sous la forme http://utilisateur:motdepasse@proxy:port
doctor-tunnel-password-refused = a refusé le nom d'utilisateur et le mot de passe de la variable du proxy ({ $status }) : vérifiez-les
doctor-tunnel-portal = a répondu au tunnel par { $status } sans défi : une connexion à lui (celle d'un portail), à laquelle aucun nom d'utilisateur ni mot de passe dans la variable du proxy ne répond. Connectez-vous-y dans un navigateur sur cette machine, ou demandez à qui gère le proxy
doctor-tunnel-windows = demande une connexion Windows pour le tunnel ({ $status }, Negotiate ou NTLM), que stepwise ne sait pas fournir : aucun nom d'utilisateur ni mot de passe dans la variable du proxy n'y répond. Demandez à qui gère le proxy de laisser passer cet hôte sans elle, ou définissez NO_PROXY pour lui s'il est joignable directement
doctor-fix-proxy = Vérifiez la variable du proxy, ou mettez cet hôte dans NO_PROXY
doctor-fix-tunnel-refused = La variable du proxy est juste : le proxy a répondu, et refuse cette destination. Demandez à qui gère le proxy de laisser passer CONNECT vers { $host }, ou définissez NO_PROXY={ $host } si la passerelle est joignable directement
doctor-fix-tunnel-none = Vérifiez { $from } : il doit désigner un proxy HTTP qui tunnelise https (hôte et port ; souvent port 3128 ou 8080)
doctor-fix-tunnel-retry = Réessayez ; si cela persiste, demandez à qui gère le proxy, ou définissez NO_PROXY={ $host } si la passerelle est joignable directement
doctor-fix-tunnel-unreached = Le proxy n'a pas pu joindre { $host } : vérifiez que la passerelle tourne et que l'hôte de --api est juste ; s'il l'est, demandez à qui gère le proxy
doctor-dns-address = { $ip } est une adresse : rien à résoudre
doctor-dns-address-proxy = le proxy { $ip } est une adresse, rien à résoudre (le proxy résout le nom de la passerelle)
doctor-dns-resolved-proxy = le proxy { $host } → { $addrs } (le proxy résout lui-même le nom de la passerelle)
doctor-dns-failed = impossible de résoudre { $host } : { $error }
doctor-dns-failed-proxy = impossible de résoudre le proxy { $host } : { $error }
doctor-dns-fix = Vérifiez le nom d'hôte dans --api (ou la variable du proxy) et les réglages DNS de cette machine
doctor-dns-fix-proxy = Vérifiez le nom du proxy dans la variable du proxy et les réglages DNS de cette machine, ou définissez NO_PROXY pour l'hôte de la passerelle si elle est joignable sans le proxy
doctor-proxy-unresolved = { $proxy } (de { $from }) : son nom est inconnu du DNS de cette machine
doctor-dns-timeout = pas de réponse pour { $host } en { $secs } s
doctor-dns-timeout-proxy = pas de réponse pour le proxy { $host } en { $secs } s
doctor-dns-timeout-fix = Vérifiez les réglages DNS de cette machine
doctor-tcp-no-address = aucune adresse
doctor-tcp-timeout = { $addr } : pas de réponse en { $secs } s
doctor-tcp-failed = connexion impossible à la passerelle : { $error }
doctor-tcp-failed-proxy = connexion impossible au proxy : { $error }
doctor-tcp-fix = Vérifiez que la passerelle tourne, le port dans --api et le pare-feu éventuel
doctor-tcp-connected = connecté à { $addr } en { $ms } ms
doctor-tcp-connected-proxy = connecté au proxy { $addr } en { $ms } ms
doctor-tls-plain = pas utilisé : l'adresse est en http:// simple
doctor-tls-skipped-cert = pas essayé : le certificat client est inutilisable
doctor-tls-bad-name = { $host } n'est pas un nom TLS utilisable
doctor-tls-certificate = certificat
doctor-tls-issued = certificat pour { $subject }, émis par { $issuer }
doctor-tls-timeout = pas de négociation TLS en { $secs } s
doctor-tls-timeout-fix = Vérifiez que le port dans --api parle TLS ; si oui, prévenez l'exploitant de la passerelle
doctor-tls-trusted = { $version } ; { $issued } ; de confiance
doctor-tls-trusted-left = { $version } ; { $issued }, encore { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    } ; de confiance
doctor-tls-ends-soon = Prévenez l'exploitant de la passerelle que son certificat expire bientôt
doctor-tls-asks-cert = { $issued } ; de confiance ; la passerelle demande un certificat client
doctor-tls-unknown-issuer = { $issued } : l'émetteur n'est pas reconnu ici (émetteur inconnu)
doctor-tls-unknown-issuer-proxy = { $issued } : l'émetteur n'est pas reconnu ici (émetteur inconnu) (via le proxy { $proxy }, qui inspecte peut-être le TLS)
doctor-tls-add-ca-file = Ajoutez --ca-file { $path }
doctor-tls-add-ca-of = Ajoutez --ca-file FICHIER, FICHIER étant le certificat (PEM) de { $issuer } ; demandez-le à l'administrateur du réseau
doctor-tls-add-ca = Ajoutez --ca-file FICHIER avec le certificat (PEM) de l'autorité émettrice
doctor-tls-use-ca-file = Utilisez --ca-file { $path } : le fichier d'autorité utilisé ({ $given }) n'a pas signé ce certificat
doctor-tls-ca-file-not-issuer = Le fichier d'autorité utilisé ({ $given }) n'a pas signé ce certificat : il contient peut-être un certificat de serveur au lieu de son autorité, ou une autorité refaite depuis. Demandez à l'exploitant de la passerelle le certificat actuel de son autorité (PEM)
doctor-tls-intermediate-missing = Le fichier d'autorité utilisé ({ $given }) ne contient pas { $issuer }, qui a signé ce certificat, et la passerelle n'a envoyé aucune autorité intermédiaire avec lui. Soit la passerelle n'envoie pas son intermédiaire : demandez à son exploitant de servir la chaîne complète (certificat, puis intermédiaires) ; en attendant, ajouter le certificat de { $issuer } au fichier fonctionne. Soit le fichier contient une autre autorité : prenez le certificat de l'autorité de la passerelle (PEM) auprès de son exploitant
doctor-tls-expired = { $issued } : expiré
doctor-tls-expired-ago = { $issued } : expiré depuis { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }
doctor-fix-date-operator = Vérifiez la date de cette machine ; si elle est juste, prévenez l'exploitant de la passerelle
doctor-tls-not-yet = { $issued } : pas encore valide
doctor-fix-date = Vérifiez la date et l'heure de cette machine
doctor-tls-wrong-host = { $issued } : pas fait pour l'hôte de --api
doctor-tls-wrong-host-fix = Mettez dans --api le nom d'hôte ou l'adresse pour lesquels le certificat a été fait
doctor-tls-wrong-host-names = { $issued } : fait pour { $names }, pas pour l'hôte de --api
doctor-tls-wrong-host-names-fix = Mettez dans --api un nom pour lequel le certificat a été fait ({ $names }), ou faites faire le certificat de la passerelle pour le nom que vous utilisez
doctor-tls-no-host-names = { $issued } : il ne nomme aucun hôte (pas de nom alternatif du sujet ; le seul nom commun n'est pas lu)
doctor-tls-no-host-names-fix = Faites réémettre le certificat de la passerelle avec son nom d'hôte comme nom alternatif du sujet ; aucun --api n'y remédie
doctor-tls-old-version = { $issued } : un certificat X.509 version 1, que TLS n'accepte plus
doctor-tls-old-version-fix = Faites refaire le certificat de la passerelle en version 3, avec son nom d'hôte comme nom alternatif du sujet ; aucune --api, --ca-file ni certificat client ne peut y remédier
doctor-tls-closed = le serveur a pris la connexion, puis l'a fermée pendant la négociation TLS : il ne parle peut-être pas TLS sur ce port, ou il refuse ce client. Vérifiez le port de --api
doctor-tls-authority-as-server = { $issued } : certificat d'autorité (CA:TRUE) utilisé comme certificat du serveur
doctor-tls-authority-as-server-fix = Demandez à l'exploitant de la passerelle de servir un certificat de serveur signé par cette autorité ; gardez le certificat de l'autorité pour --ca-file
doctor-tls-not-tls = ce qui a répondu ne parle pas TLS
doctor-tls-not-tls-fix = Vérifiez le port, ou utilisez http:// si la passerelle n'a pas de TLS
doctor-tls-refused = la passerelle a refusé la négociation ({ $alert })
doctor-tls-refused-fix = Vérifiez --api ; s'il est juste, prévenez l'exploitant de la passerelle
doctor-tls-wants-cert = la passerelle demande un certificat client
doctor-fix-client-cert = Donnez-en un avec --client-cert FICHIER --client-key FICHIER
doctor-tls-other = échec : { $error }
doctor-tls-other-fix = Vérifiez --api, --ca-file et le certificat client
doctor-tls-proxy-cut = le proxy { $proxy } a ouvert le tunnel vers { $host }, puis la négociation TLS à travers lui s'est interrompue ({ $why }) : le proxy, ou ce qui est derrière, l'a coupée
doctor-tls-proxy-cut-fix = Demandez à qui gère le proxy s'il laisse passer TLS vers cet hôte, ou définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy
doctor-cert-required = aucun fourni, et la passerelle en exige un
doctor-cert-fix-config = Donnez-en un avec --client-cert FICHIER --client-key FICHIER (ou client_cert/client_key dans le fichier de configuration)
doctor-cert-not-asked = aucun fourni ; la passerelle n'en a pas demandé
doctor-cert-none = aucun fourni
doctor-cert-none-plain = aucun fourni (http:// simple)
doctor-cert-unusable-plain = non présenté en http:// simple, mais une passerelle https:// ne pourrait pas le recevoir : { $why }
doctor-cert-about = { $path } : { $subject }, émis par { $issuer }
doctor-cert-refused = { $about } : la passerelle l'a refusé ({ $alert })
doctor-cert-unsupported = { $about } : la passerelle l'a refusé comme non pris en charge ; le plus souvent, il n'est pas fait pour un client (le certificat d'un serveur)
doctor-cert-fix-client-use = Utilisez un certificat émis pour l'authentification client
doctor-cert-expired-said = { $about } : la passerelle indique qu'il a expiré
doctor-cert-not-taken = { $about } : la passerelle ne l'a pas accepté
doctor-cert-fix-authority = Utilisez un certificat émis par l'autorité à laquelle la passerelle fait confiance
doctor-cert-expired = { $about } : expiré depuis { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }
doctor-cert-fix-new = Demandez un nouveau certificat client
doctor-cert-not-yet = { $about } : pas encore valide
doctor-cert-ends-soon = { $about } : plus que { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }
doctor-cert-fix-soon = Demandez bientôt un nouveau certificat client
doctor-cert-ok-left = { $about } ; la clé correspond ; encore { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }
doctor-cert-ok = { $about } ; la clé correspond
doctor-source-config-token = le jeton du fichier de configuration
doctor-source-config-token-file = le token_file du fichier de configuration { $path }
doctor-source-nowhere = nulle part
doctor-token-wanted = aucun fourni, et la passerelle en veut un
doctor-token-wanted-said = aucun fourni, et la passerelle en veut un (HTTP 401), en disant « { $said } »
doctor-token-fix-give = Connectez-vous avec `stepwise login`, ou donnez-en un avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
doctor-token-fix-fixed = Elle n'offre pas de connexion : son jeton vient de qui l'exploite. Gardez ce jeton avec `stepwise login --with-token`, ou donnez-le avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
doctor-token-embedded = inutile pour le simulateur intégré
doctor-token-not-asked = aucun fourni ; la passerelle n'en a pas demandé
doctor-token-not-checked = aucun donné ; non vérifié : aucune passerelle d'étapes n'a répondu
doctor-token-not-checked-unusable = aucun donné ; non vérifié : ce qui a répondu n'était pas utilisable (la ligne Première liste dit comment)
doctor-token-none-limited = aucun donné ; non vérifié : les requêtes sont limitées (HTTP 429)
doctor-token-none-failing = aucun donné ; non vérifié : les réponses étaient des échecs (HTTP 5xx)
doctor-fix-proxy-password = Le proxy demande un nom d'utilisateur et un mot de passe : mettez-les dans la variable du proxy (http://utilisateur:motdepasse@proxy:port)
doctor-fix-proxy-password-refused = Le proxy a refusé le nom d'utilisateur et le mot de passe de la variable du proxy : vérifiez-les (des caractères comme @ : / % doivent y être encodés en pourcentage)
doctor-fix-not-a-gateway = Cette adresse n'est pas une passerelle d'étapes : donnez à --api l'URL de base sous laquelle se trouve pims/subscription/steps
doctor-fix-client-cert-front = Le frontal TLS de la passerelle demande un certificat client : donnez-en un avec --client-cert FICHIER --client-key FICHIER
doctor-fix-gateway-failed = La passerelle est en panne : réessayez dans une minute ; si cela persiste, prévenez l'exploitant de la passerelle
doctor-fix-call-not-offered = La liste fonctionne à cette --api : la passerelle n'offre pas cet appel, ou quelque chose devant elle ne le transmet pas. Prévenez l'exploitant de la passerelle
doctor-fix-proxy-5xx = Le proxy a répondu par sa propre page d'erreur : il n'a pas pu joindre la passerelle. Vérifiez l'hôte et le port de --api et que la passerelle tourne ; s'ils sont justes, demandez à qui gère le proxy
doctor-fix-proxy-loopback = La passerelle est sur cette machine ({ $host }), et { $from } envoie ses requêtes à ce proxy : lui (ou un proxy vers lequel il transmet) ne peut pas joindre les adresses propres à cette machine. Mettez NO_PROXY={ $host }
doctor-fix-loopback-down = Rien n'écoute à { $host }:{ $port } sur cette machine (essayé directement) : la passerelle n'y tourne pas, si bien que le proxy n'a pas pu la joindre non plus. Vérifiez qu'elle tourne et que le port de --api est le bon
doctor-guidance-not-a-page = a répondu 200 avec { $kind } sans langue : ce n'est pas une page de guidage (la page fourre-tout d'un portail ?), donc le QR code mène à docs_base_url, ou aux pages développeur archivées
doctor-token-embedded-given = source : { $source } ; pas envoyé au simulateur intégré
doctor-token-expired = source : { $source } ; expiré depuis { $ago }
doctor-token-fix-new = Obtenez un nouveau jeton
doctor-token-login-unreadable = aucun envoyé : { $why }
doctor-token-fix-login-damaged = Une fois le fichier mis de côté, reconnectez-vous avec `stepwise login`, ou donnez un jeton avec --token-file CHEMIN, STEPWISE_TOKEN ou `token` dans le fichier de configuration
doctor-token-login-unreadable-unneeded = aucun envoyé, et la passerelle a répondu sans jeton. Connexion conservée : { $why }
doctor-token-expired-taken = de { $source } ; son expiration dit qu'il a pris fin il y a { $ago }, pourtant la passerelle l'a accepté
doctor-token-fix-new-soon = Obtenez un nouveau jeton avant que la passerelle ne refuse celui-ci
doctor-token-refused = source : { $source } ; la passerelle l'a refusé (HTTP 401)
doctor-token-dropped = source : { $source } ; la passerelle répond comme si aucun jeton ne l'avait atteinte (son défi ne nomme aucune erreur), et la requête est passée par le proxy { $proxy } : le proxy retire peut-être l'en-tête Authorization
doctor-token-refused-said = source : { $source } ; la passerelle l'a refusé (HTTP 401) en disant « { $said } »
doctor-token-scope = source : { $source } ; la passerelle l'a accepté, mais dit qu'il lui manque une portée (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Obtenez un nouveau jeton, ou vérifiez qu'il est fait pour cette passerelle
doctor-token-fix-dropped = Un nouveau jeton serait refusé de même : définissez NO_PROXY pour cet hôte si la passerelle est joignable sans le proxy, ou demandez à l'exploitant du proxy de laisser passer l'en-tête Authorization
doctor-token-fix-beside-file = Une connexion gardée pour cette passerelle est acceptée par elle (essayée à l'instant), et --token-file passe avant elle : retirez --token-file pour utiliser cette connexion, ou mettez dans ce fichier le jeton actuel de cette passerelle
doctor-token-fix-beside-environment = Une connexion gardée pour cette passerelle est acceptée par elle (essayée à l'instant), et STEPWISE_TOKEN passe avant elle : supprimez STEPWISE_TOKEN pour utiliser cette connexion, ou donnez-lui le jeton actuel de cette passerelle
doctor-token-fix-beside-refused = La connexion gardée pour cette passerelle est refusée aussi (essayée à l'instant) : obtenez le jeton actuel de cette passerelle, et renouvelez la connexion gardée (`stepwise login`, ou `stepwise login --with-token` si la passerelle ne propose pas de connexion)
doctor-token-expires = source : { $source } ; expire dans { $within }
doctor-token-not-tried = source : { $source } ; pas essayé (passerelle non atteinte)
doctor-token-not-tried-unusable = source : { $source } ; non jugé : ce qui a répondu n'était pas utilisable (la ligne Première liste dit comment)
doctor-token-failing = source : { $source } ; non jugé : chaque réponse était un échec (HTTP 5xx), qui ne dit rien du jeton
doctor-token-limited = source : { $source } ; pas essayé : les requêtes sont limitées (HTTP 429)
doctor-token-took = source : { $source } ; la passerelle l'a accepté (son expiration n'y est pas inscrite)
doctor-token-unchecked = source : { $source } ; envoyé, mais la passerelle répond aussi sans jeton : elle n'en vérifie aucun ici, elle n'a donc ni accepté ni refusé celui-ci
doctor-token-renewed = source : { $source } ; la passerelle a refusé le jeton conservé (HTTP 401) et a accepté celui renouvelé pour lui, comme chaque commande le renouvelle
doctor-token-renewal-failed = source : { $source } ; la passerelle l'a refusé (HTTP 401), et le renouveler, comme le ferait chaque commande, a échoué : { $why }
doctor-token-due-renewal-failed = source : { $source } ; son jeton avait expiré, et le renouveler, comme le ferait chaque commande, a échoué : { $why }
doctor-why-timeout = pas de réponse en { $secs } s
doctor-http-setup = impossible de préparer HTTP : { $error }
doctor-no-answer = pas de réponse utilisable : { $why }
doctor-not-a-list = la réponse n'est pas une liste d'étapes : { $error }
doctor-not-a-step = la réponse n'est pas une étape : { $error }
doctor-fix-steps-gateway = Vérifiez que --api désigne une passerelle d'étapes
doctor-fix-not-a-list-here = --api répond comme une passerelle d'étapes (la ligne Corps d'erreur) : c'est sa réponse pour ce carAssociationID qui ne va pas. Signalez-le à l'exploitant de la passerelle ; doctor avec l'identifiant d'un autre véhicule montre si les autres ont leur liste
doctor-fix-proxy-html = La réponse est venue par le proxy : la page est peut-être celle du proxy lui-même (une page de connexion ou un portail). Définissez NO_PROXY={ $host } si la passerelle est joignable sans le proxy ; sinon, vérifiez que --api désigne une passerelle d'étapes
doctor-list-cut = la liste a été coupée : { $error }
doctor-fix-cut = Réessayez ; si elle reste coupée, la passerelle ou quelque chose en chemin (un proxy) coupe ses réponses : prévenez l'exploitant de la passerelle
doctor-fix-no-answer = Réessayez ; si cela persiste, la passerelle ou un élément placé devant (un proxy, un répartiteur de charge) abandonne cet appel : prévenez l'exploitant de la passerelle
doctor-fix-unusable = Une réponse est venue, mais aucune que stepwise puisse utiliser, et redemander donne la même : faites ce que disent les mots ci-dessus
doctor-fix-network-proxy = Un proxy de ce réseau a répondu, alors qu'aucun n'est réglé ici : réglez HTTPS_PROXY (HTTP_PROXY pour http://) sur http://utilisateur:motdepasse@proxy:port avec son adresse, ou demandez à l'administrateur du réseau
doctor-fix-limited = La passerelle limite les requêtes : attendez une minute, puis relancez doctor
doctor-fix-wait = La passerelle demande d'attendre { $secs } s : relancez doctor ensuite ; si cela persiste, prévenez l'exploitant de la passerelle
doctor-fix-refused-front = Quelque chose devant la passerelle (un pare-feu, un WAF ou un proxy inverse) a refusé la requête : demandez à qui le gère de laisser passer cette machine
doctor-fix-refused-proxy = Le proxy, ou quelque chose devant la passerelle, a refusé la requête : demandez à qui gère le proxy s'il laisse passer cette adresse, ou mettez NO_PROXY pour cet hôte si la passerelle est joignable sans le proxy
doctor-fix-proxy-bare-401 = Donnez d'abord le jeton de la passerelle (voir la ligne Jeton) ; si le 401 reste avec un jeton, demandez à qui gère le proxy s'il demande une connexion à lui, ou mettez NO_PROXY={ $host } si la passerelle est joignable directement
doctor-error-body-no-answer = pas de réponse utilisable de la passerelle : { $why }
doctor-error-body-no-answer-fix = Vérifiez que la passerelle tourne et n'est pas surchargée, puis réessayez
doctor-error-body-dropped = une requête sans id n'a reçu aucune réponse ({ $why }) là où une passerelle répond 400 avec un message JSON ; la première liste a tout de même été demandée par carAssociationID
doctor-why-wants-tls = le serveur à { $base } parle TLS, et --api dit http://
doctor-fix-use-https = Mettez https:// dans --api (le serveur parle TLS)
doctor-clock-skipped = non lancé : aucune passerelle d'étapes n'a répondu
doctor-clock-unusable = non lancé : ce qui a répondu n'était pas utilisable (la ligne Première liste dit comment)
doctor-clock-limited = non lancé : les requêtes sont limitées (HTTP 429) ; relancez doctor après l'attente
doctor-clock-failed = non lancé : la réponse était un échec (HTTP { $status }), sans liste ni corps d'erreur de passerelle où lire l'horloge
doctor-error-body-ok = une requête sans id reçoit 400 avec un message JSON ({ $message })
doctor-error-body-other-shape = une requête sans id reçoit 400 avec un message JSON d'une autre forme courante (RFC 7807 ou OAuth), que stepwise lit ({ $message })
doctor-error-body-code-only = code seul
doctor-error-body-not-json = une requête sans id reçoit 400, mais pas de corps JSON { $shape }
doctor-fix-error-json = Signalez à l'exploitant de la passerelle : les corps d'erreur doivent être en JSON
doctor-fix-error-400 = Prévenez l'exploitant de la passerelle : une requête sans id doit recevoir 400 avec son corps d'erreur. Seulement si la ligne Première liste a échoué aussi, vérifiez que --api désigne une passerelle d'étapes
doctor-fix-error-400-no-car = Ce n'est peut-être pas du tout une passerelle d'étapes : relancez avec --car ID. Si la ligne Première liste réussit alors, prévenez l'exploitant de la passerelle qu'une requête sans id doit recevoir 400 ; sinon, vérifiez que --api désigne une passerelle d'étapes
doctor-error-body-401 = pas vérifié : la passerelle veut d'abord un jeton valide (HTTP 401)
doctor-error-body-unjudged = pas jugé : la première liste n'a pas trouvé non plus de passerelle d'étapes à cette adresse
doctor-error-body-unjudged-failed = pas jugé : la première liste n'a pas reçu de réponse non plus
doctor-error-body-unjudged-unusable = pas jugé : la réponse de la première liste n'était pas utilisable non plus
doctor-error-body-proxy = pas jugé : le proxy a répondu à la place de la passerelle
doctor-error-body-gateway-down = non jugé : la passerelle ne tourne pas à { $host }:{ $port } (rien n'y écoute, essayé directement)
doctor-error-body-limited = pas jugé : les requêtes sont limitées (HTTP 429)
doctor-error-body-other = une requête sans id reçoit { $answer } au lieu de 400
doctor-error-body-failing = non jugé : une requête sans id reçoit { $answer }, un échec qui ne dit rien de la façon dont la passerelle répond à une mauvaise requête
doctor-first-no-car = pas essayé : aucun carAssociationID donné
doctor-first-no-car-fix = Relancez avec --car ID pour essayer les appels d'étapes
doctor-first-401 = HTTP 401 : la passerelle veut un jeton valide
doctor-first-proxy-login = HTTP 401 avec une connexion (Basic) venant du proxy, pas de la passerelle : la requête n'a jamais atteint la passerelle
doctor-first-proxy-page = HTTP 401 avec une page web sans défi, via le proxy : celle du proxy, ou une qu'il a relayée depuis l'avant de la passerelle (un portail, un proxy inverse), pas une demande de jeton d'une passerelle
doctor-first-proxy-page-401 = HTTP 401 avec une page web sans corps d'erreur de passerelle, via le proxy : celle du proxy, ou une qu'il a relayée depuis l'avant de la passerelle (un portail, un proxy inverse)
doctor-basic-prompt = HTTP 401 demandant une identification à laquelle un jeton bearer ne peut pas répondre (un nom d'utilisateur et un mot de passe, ou la connexion Windows), sans le corps d'erreur d'une passerelle : l'identification d'un serveur web ou d'un proxy inverse, pas une passerelle d'étapes (qui prend un jeton bearer)
doctor-front-401 = HTTP 401 avec une page web et sans défi de connexion (pas d'en-tête WWW-Authenticate), sans corps d'erreur de passerelle : quelque chose devant la passerelle (un proxy inverse, un serveur web ou un portail) demande sa propre connexion ; aucun jeton n'a été jugé
doctor-fix-front-401 = Si des listes sont venues de cette adresse sans jeton auparavant, aucun jeton de passerelle ne manque : demandez à qui exploite le réseau ou la passerelle ce qui demande cette connexion ; sinon, demandez-leur si la passerelle veut un jeton à cet endroit
doctor-see-token = Voir la ligne Jeton
doctor-see-proxy = Voir la ligne Proxy
doctor-first-fix-car = Vérifiez le carAssociationID donné avec --car
doctor-first-fix-demo = Aucune passerelle n'est configurée (ni --api, ni STEPWISE_API, ni `api` dans le fichier de configuration), doctor a donc vérifié la démo intégrée, qui ne connaît que { $ids } : pour vérifier votre passerelle, donnez --api URL
doctor-first-fix-filter = Les mots de la passerelle nomment le filtre de statut (stepsStatus), que doctor n'a pas choisi : il a demandé toutes les étapes avec stepsStatus=all, la valeur par défaut du contrat (steps et l'assistant redemandent alors sans lui). Prévenez l'exploitant de la passerelle
doctor-first-fix-car-or-api = Ses mots ne nomment aucun id : vérifiez le carAssociationID donné avec --car ; si la ligne Corps d'erreur reçoit le même 404 pour un appel sans id, --api ne pointe pas vers la passerelle d'étapes (le 404 d'un routeur) : vérifiez --api
doctor-first-no-steps-id = { $count ->
        [one] { $count } étape
       *[other] { $count } étapes
    } mais pas de stepsID
doctor-first-fix-steps-id = Signalez à l'exploitant de la passerelle : la liste doit porter un stepsID
doctor-first-ok = carAssociationID { $car } : { $count ->
        [one] { $count } étape
       *[other] { $count } étapes
    } ({ $done } { $done ->
        [one] faite
       *[other] faites
    }), stepsID { $steps_id }
doctor-first-slow = La passerelle a mis jusqu'à { $secs } s pour répondre : lent, mais dans les { $limit } s qu'attend l'assistant (une passerelle chargée, ou une ligne lente)
doctor-refresh-ok = { $count ->
        [one] { $count } étape
       *[other] { $count } étapes
    }
doctor-refresh-fix = La liste relue nomme d'autres étapes que la première : prévenez l'exploitant de la passerelle
doctor-next-todo = { $name } à faire
doctor-next-none = plus rien à faire
doctor-next-nothing = rien
doctor-next-disagrees = { $got }, mais la liste dit { $listed }
doctor-next-fix = Signalez à l'exploitant de la passerelle : l'étape suivante contredit la liste
doctor-filter-ok = stepsStatus=todo donne { $todo ->
        [one] l'étape à faire
       *[other] les { $todo } étapes à faire
    }
doctor-filter-bad = stepsStatus=todo donne { $count ->
        [one] { $count } étape
       *[other] { $count } étapes
    } (dont { $stray } pas à faire) ; la liste en a { $todo } à faire
doctor-filter-unknown = { $bad } ; plus { $unknown } d'un statut hors du contrat, que stepwise compte comme non faites
doctor-filter-fix = Signalez à l'exploitant de la passerelle : stepsStatus n'est pas appliqué
doctor-events-ok = proposés, et leur premier événement (la liste actuelle) est arrivé aussitôt : l'assistant suit les changements en direct
doctor-events-silent = le flux s'est ouvert, mais aucun événement n'est arrivé en { $secs } s, alors qu'une passerelle envoie la liste actuelle aussitôt : quelque chose en chemin (un proxy) retient les événements. L'assistant se reconnecte, puis interroge périodiquement
doctor-events-other-type = le flux s'est ouvert et a envoyé des événements de type « { $kind } », mais aucun de type steps en { $secs } s : ses listes arrivent sous un autre type d'événement que celui du contrat, et l'assistant n'en lit aucune. L'assistant se reconnecte, puis interroge périodiquement
doctor-events-no-list-events = le flux s'est ouvert et n'a envoyé que des événements de type « { $kind } », sans liste dedans, et aucune liste en { $secs } s, alors qu'une passerelle envoie la liste actuelle aussitôt. L'assistant se reconnecte, puis interroge périodiquement
doctor-events-fix-other-type = Prévenez l'exploitant de la passerelle : chaque liste doit arriver comme `event: steps` (ou sans ligne event), pas comme « { $kind } »
doctor-events-cut = le flux s'est fermé avant que son premier événement soit complet (après { $bytes } octets) : la passerelle l'a coupé, donc l'assistant se reconnecte, puis interroge
doctor-events-empty = l'appel des événements a répondu et s'est terminé sans rien envoyer (0 octet) : il ne sert aucun flux d'événements, donc l'assistant se reconnecte, puis interroge
doctor-events-not-text = les octets du flux ne sont pas du texte UTF-8 : l'assistant le coupe, se reconnecte, puis interroge
doctor-events-error-event = le premier événement est une erreur, pas la liste actuelle : { $said }
doctor-events-fix-buffered = Demandez à qui gère le proxy de laisser passer text/event-stream sans mise en tampon (nginx : proxy_buffering off)
doctor-events-fix-buffered-direct = Aucun proxy n'est utilisé ici : prévenez l'exploitant de la passerelle que la passerelle, ou un proxy inverse devant elle, retient les événements ou n'envoie pas la liste actuelle tout de suite (nginx : proxy_buffering off)
doctor-events-other-list = le premier événement est la liste d'un autre stepsID que celui demandé : l'assistant ne la prend pas
doctor-events-bad-event = le premier événement n'est pas une liste d'étapes ({ $error }) : l'assistant se rabat sur l'interrogation périodique
doctor-events-compressed = le flux est arrivé compressé, alors que stepwise n'en demande pas : l'assistant interroge périodiquement à la place
doctor-events-fix-compressed = Demandez à l'exploitant de la passerelle (ou à qui gère le proxy) d'envoyer text/event-stream sans compression
doctor-events-not-stream = réponse, mais pas en text/event-stream : l'assistant interroge à intervalles
doctor-events-page = a répondu par une page web (HTML), pas par text/event-stream : quelque chose devant la passerelle (un proxy, un pare-feu) bloque peut-être les flux ; l'assistant interroge à intervalles
doctor-events-fix = Signalez à l'exploitant de la passerelle : les événements live doivent être des Server-Sent Events
doctor-events-fix-page = Demandez à qui gère le réseau devant la passerelle (un proxy, un pare-feu) de laisser passer text/event-stream ; si rien n'est devant, prévenez l'exploitant de la passerelle
doctor-events-fix-2346 = Signalez à l'exploitant de la passerelle : son appel d'événements refuse des stepsIDs auxquels son appel de liste répond
doctor-events-fix-content = Prévenez l'exploitant de la passerelle : chaque événement doit porter, en données, la liste d'étapes du stepsID demandé
doctor-events-fix-cut = Prévenez l'exploitant de la passerelle (ou qui gère un proxy inverse devant elle) que son flux d'événements est fermé au milieu de son premier événement
doctor-events-fix-empty = Prévenez l'exploitant de la passerelle (ou qui gère un proxy inverse devant elle) que son appel des événements se termine aussitôt sans flux : un proxy le met peut-être en tampon ou le coupe
doctor-events-fix-error-event = Prévenez l'exploitant de la passerelle de ce qu'a dit son flux d'événements : un flux doit commencer par la liste actuelle du stepsID demandé, que l'appel de liste vient de donner
doctor-events-404 = pas proposés (404) : l'assistant interroge à intervalles
doctor-events-2346 = refusé (404, code 2346) : le flux dit n'avoir aucune étape pour le stepsID { $id }, que l'appel de liste vient de donner : la passerelle se contredit. L'assistant interroge à la place
doctor-events-http = { $answer } : l'assistant interroge à intervalles
doctor-events-limited = { $answer } : la passerelle limite le flux. L'assistant attend { $secs } s, comme la passerelle le demande, avec toute requête vers elle, puis rouvre le flux : la liste à l'écran n'est pas rafraîchie entre-temps
doctor-events-limited-unnamed = { $answer } : la passerelle limite le flux. L'assistant attend aussi longtemps que la passerelle le demande, avec toute requête vers elle, puis rouvre le flux : la liste à l'écran n'est pas rafraîchie entre-temps
doctor-events-no-answer = pas de réponse ({ $why }) : l'assistant rouvre le flux en attendant un peu plus à chaque fois, et n'interroge à intervalles que si une liste arrive entre-temps
doctor-events-proxy-held = pas de réponse à travers le proxy { $proxy }, bien que les appels de liste à travers lui aient eu leur réponse : le proxy retient une réponse qui ne finit pas (il met le flux d'événements en mémoire tampon). L'assistant interroge à intervalles à la place
doctor-events-proxy-own = le proxy { $proxy } a répondu lui-même HTTP { $status } au flux d'événements, alors que les appels de liste passés par lui ont eu leur réponse : le proxy ne transmet pas le flux. L'assistant interroge à la place
doctor-events-fix-proxy-held = Demandez à qui gère le proxy de laisser passer text/event-stream sans mémoire tampon, ou réglez NO_PROXY={ $host } si la passerelle est joignable sans lui
doctor-guidance-ok = proposées : le code QR et la touche «o» ouvrent la page de la passerelle dans la langue du client
doctor-guidance-404 = pas proposées (404) : le code QR mène à docs_base_url, ou aux pages développeurs archivées
doctor-guidance-http = { $answer } : le code QR mène à docs_base_url, ou aux pages développeurs archivées
doctor-guidance-no-answer = pas de réponse ({ $why }) : le code QR mène à docs_base_url, ou aux pages développeurs archivées
doctor-clock-no-date = la passerelle n'envoie pas d'en-tête Date : impossible de comparer les horloges
doctor-clock-bad-date = l'en-tête Date de la passerelle { $date } est illisible
doctor-clock-ahead = l'horloge de cette machine avance de { $secs } s sur celle de la passerelle
doctor-clock-behind = l'horloge de cette machine retarde de { $secs } s sur celle de la passerelle
doctor-clock-fix = Vérifiez la date et l'heure de cette machine : si elles sont justes, l'horloge de la passerelle est fausse (prévenez son exploitant) ; sinon, réglez l'horloge de cette machine (NTP) : les contrôles des jetons et des certificats en dépendent
doctor-clock-fix-gateway = L'horloge de la passerelle est fausse : sa date ({ $date }) est antérieure à la création de ce programme. Prévenez l'exploitant de la passerelle ; laissez l'horloge de cette machine telle quelle
doctor-clock-fix-ours = L'horloge de cette machine est fausse : elle indique une date antérieure à la création de ce programme. Réglez-la (NTP) : les contrôles des jetons et des certificats en dépendent
doctor-clock-ok = à { $secs } s près de l'horloge de la passerelle

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPTIONS]
help-cli-value-file = FICHIER
help-cli-value-path = CHEMIN
help-cli-value-seconds = SECONDES
help-cli-value-dir = DOSSIER
help-cli-value-mode = MODE
help-cli-value-status = STATUT
help-cli-value-shell = SHELL
help-cli-value-lang = LANGUE
help-cli-value-token = JETON
help-cli-value-addr = ADRESSE
cli-clap-missing-value = '{ $arg }' demande une valeur, et aucune n'a été donnée
cli-clap-invalid-value = valeur '{ $value }' invalide pour '{ $arg }'
cli-clap-possible-values = valeurs possibles : { $values }
cli-clap-unknown-argument = argument inattendu '{ $arg }'
cli-arg-token-as-argument = login --with-token lit le jeton sur l'entrée standard, jamais sur la ligne de commande, où l'historique du shell et la liste des processus le gardent (la valeur donnée n'est pas montrée) : `stepwise login --with-token < token.txt`, ou lancez `stepwise login --with-token` et collez-le
cli-clap-unknown-command = commande inconnue '{ $name }'
cli-clap-missing-required = ces arguments obligatoires manquent : { $args }
cli-clap-only-with = { $given } ne vaut qu'avec { $needed } : ajoutez { $needed }, ou retirez { $given }
cli-clap-range = donnez un nombre de { $low } à { $high }
cli-clap-conflict = l'argument '{ $arg }' ne peut pas être utilisé avec { $other }
cli-clap-repeated = l'argument '{ $arg }' ne peut être donné qu'une fois
cli-clap-extra-value = valeur inattendue '{ $value }' pour '{ $arg }'
cli-clap-needs-command = '{ $name }' demande une commande : { $values }
cli-clap-did-you-mean = vouliez-vous dire '{ $suggestion }' ?
cli-no-watch-command = il n'y a pas de commande watch : le suivi est la touche w de l'assistant (`stepwise --car ID`, puis w ; pour plusieurs véhicules `stepwise fleet --cars FICHIER`, puis w) ; un script redemande `stepwise steps --car ID`
cli-clap-try-help = Pour en savoir plus : --help.
cli-clap-other = impossible de lire la ligne de commande

## The manual page's section headings (stepwise man)

man-section-name = NOM
man-section-synopsis = SYNOPSIS
man-section-description = DESCRIPTION
man-section-options = OPTIONS
man-section-extra = REMARQUES
man-section-version = VERSION
man-section-authors = AUTEURS
man-section-environment = ENVIRONNEMENT
man-env-token = Le jeton bearer de la passerelle (sans elle, la connexion gardée sert)
man-env-docs-url = Les pages d'aide du concessionnaire, où mènent les liens du guide du technicien (docs_base_url dans le fichier de configuration)
man-env-token-store = Où login garde les jetons : keyring, file ou auto (par défaut)
man-env-config = Le fichier de configuration à lire au lieu de celui par défaut (stepwise doctor affiche son chemin)
man-env-log = Le filtre du journal, par ex. debug ou stepwise=trace (par défaut info) ; les journaux vont dans le dossier logs du dossier de données
man-env-no-color = Défini et non vide : pas de couleur à l'écran
man-section-files = FICHIERS
man-section-keys = TOUCHES
man-files-config = Le fichier de configuration (STEPWISE_CONFIG en désigne un autre ; sous macOS et Windows il se trouve dans le dossier du système, que stepwise doctor affiche)
man-files-device-id = L'identifiant d'appareil de cette installation, envoyé avec chaque requête
man-files-recent = Les derniers carAssociationIDs ouverts, gardés pour chaque passerelle et proposés sur l'écran d'accueil quand la même passerelle est réutilisée
man-files-logins = Les connexions gardées par stepwise login quand aucun trousseau n'est utilisé, lisibles par l'utilisateur seul
man-files-reports = Les rapports de session écrits avec x (--report écrit là où il l'indique)
man-files-logs = Les journaux de l'assistant (STEPWISE_LOG en règle la quantité)
man-files-demo-state = Ce que le backend de démonstration a appris lors des exécutions précédentes (stepwise demo --fresh l'oublie)
man-files-sim-tls = L'autorité, le certificat et la clé de stepwise serve --tls, sauf si --tls-dir désigne un autre dossier
auth-unknown-client = le fournisseur d'identité ne connaît pas l'identifiant client { $client } ({ $said }). Indiquez l'identifiant enregistré pour stepwise chez lui avec --client-id ID ou `client_id` dans le fichier de configuration
auth-client-wants-secret = le fournisseur d'identité veut que le client { $client } s'authentifie ({ $said }) : il y est enregistré comme client confidentiel, avec un secret, et stepwise se connecte comme client public. Demandez à qui exploite le fournisseur un id de client public pour stepwise (sans secret, connexion par appareil ou navigateur permise), puis donnez-le avec --client-id ID ou `client_id` dans le fichier de configuration
auth-client-not-allowed = le fournisseur d'identité connaît l'identifiant client { $client }, mais ne le laisse pas se connecter de cette façon ({ $said }), et n'offre à stepwise aucune autre façon. Demandez à l'administrateur du fournisseur d'autoriser le flux par appareil pour ce client ; en attendant, conservez un jeton avec `stepwise login --with-token`
auth-client-not-allowed-device = le fournisseur d'identité connaît l'identifiant client { $client }, mais ne le laisse pas se connecter avec un code sur un autre appareil ({ $said }). Connectez-vous plutôt dans un navigateur : `stepwise login` sans --device, sur un poste avec un bureau ; ou demandez à l'administrateur du fournisseur d'autoriser le flux par appareil pour ce client ; ou conservez un jeton avec `stepwise login --with-token`
auth-client-not-allowed-browser = le fournisseur d'identité connaît l'identifiant client { $client }, mais ne le laisse pas se connecter dans un navigateur ({ $said }). Connectez-vous plutôt avec un code sur un autre appareil : `stepwise login --device` ; ou demandez à l'administrateur du fournisseur de l'autoriser ; ou conservez un jeton avec `stepwise login --with-token`
auth-unknown-scope = le fournisseur d'identité ne connaît pas un des scopes demandés ({ $said }) ; demandés : { $scopes }. Indiquez ceux qu'il connaît avec --scope ou `scopes` dans le fichier de configuration (demandez-les à son exploitant), puis relancez `stepwise login`
err-signin-issuer-mismatch = le fournisseur d'identité à l'adresse { $asked } se nomme { $got } : ses métadonnées ne sont pas les siennes. Vérifiez --issuer (ou STEPWISE_ISSUER, `issuer` dans le fichier de configuration) s'il est donné, sinon prévenez l'exploitant de la passerelle (ses métadonnées de connexion nomment ce fournisseur)
err-signin-issuer-unnamed = les métadonnées du fournisseur d'identité à { $asked } ne nomment aucun émetteur (le membre `issuer` manque), on ne peut donc pas vérifier qu'elles sont les siennes. Prévenez l'exploitant du fournisseur ; vérifiez --issuer (ou STEPWISE_ISSUER, `issuer` dans le fichier de configuration) s'il est donné
err-signin-resource-mismatch = les métadonnées de connexion que publie la passerelle { $gateway } ({ $path }) sont pour une autre ressource, { $named } : les jetons de la connexion qu'elles désignent seraient pour cette ressource, pas pour cette passerelle, elles ne sont donc pas utilisées (RFC 9728). Prévenez l'exploitant de la passerelle ; si vous connaissez le fournisseur d'identité de cette passerelle, indiquez-le avec --issuer (ou STEPWISE_ISSUER, `issuer` dans le fichier de configuration)
err-signin-issuer-none = le fournisseur d'identité à l'adresse { $issuer } ne publie aucune métadonnée (ni /.well-known/openid-configuration ni /.well-known/oauth-authorization-server ; HTTP { $status }). Vérifiez --issuer (ou STEPWISE_ISSUER, `issuer` dans le fichier de configuration) s'il est donné, sinon prévenez l'exploitant de la passerelle (ses métadonnées de connexion nomment ce fournisseur)
err-signin-issuer-missing = le fournisseur d'identité { $issuer } publie des métadonnées sans { $field } : il n'y propose aucune connexion que stepwise puisse utiliser. Vérifiez --issuer (ou STEPWISE_ISSUER, `issuer` dans le fichier de configuration) s'il est donné, sinon prévenez l'exploitant de la passerelle (ses métadonnées de connexion nomment ce fournisseur)
err-signin-issuer-bad = l'émetteur { $issuer } n'est pas une URL http(s). Donnez-en une comme https://login.example.com/realms/workshop
err-signin-endpoint-authorization = adresse d'autorisation
err-signin-endpoint-revocation = adresse de révocation
login-expires-no-refresh = Le jeton expire à { $time }. Aucun jeton de renouvellement n'est venu avec lui (le fournisseur en donne un avec le scope offline_access) : reconnectez-vous à ce moment-là.
login-expires-no-refresh-asked = Le jeton expire à { $time }. Aucun jeton de rafraîchissement n'est venu avec, bien que la connexion ait demandé offline_access : le fournisseur d'identité n'en donne pas à stepwise (son administrateur peut l'autoriser), reconnectez-vous donc à ce moment-là.
login-keyring-fallback = Remarque : le trousseau n'a pas pu conserver le jeton ({ $why }), il est donc conservé dans un fichier que vous seul pouvez lire (mode 0600). `stepwise logout` le supprime.
login-browser-signing-in = Adresse confiée au navigateur : connectez-vous-y, puis revenez ici (Ctrl-C annule).
login-browser-address = Si aucun navigateur n'affiche la connexion, ouvrez cette adresse sur cette machine : { $address }
login-browser-done = Connecté : fermez cet onglet et revenez au terminal.
login-browser-failed-page = Cette connexion n'a pas abouti : le terminal dit pourquoi.
logout-revoked = Le fournisseur d'identité a révoqué la connexion ({ $endpoint }).
logout-revoked-page = L'adresse de révocation ({ $endpoint }) a répondu HTTP 200, ce qui veut dire révoquée, mais avec une page web là où le fournisseur d'identité ne répond rien : si un portail ou un proxy y répond à sa place, la connexion peut rester valable chez le fournisseur jusqu'à son expiration.
logout-not-revoked = Le fournisseur d'identité ne propose pas de révocation : la connexion est oubliée ici, et son jeton de renouvellement reste valable chez lui jusqu'à son expiration.
logout-not-revoked-access = Le fournisseur d'identité ne propose pas de révocation : la connexion est oubliée ici, et son jeton reste valable chez lui jusqu'à son expiration.
logout-revoke-failed = La révocation chez le fournisseur d'identité a échoué ({ $why }) ; la connexion est oubliée ici quand même. Son jeton de renouvellement reste valable chez le fournisseur jusqu'à son expiration ou jusqu'à ce que celui-ci y mette fin : demandez à son administrateur de le révoquer s'il doit cesser maintenant.
logout-already-ended = Le fournisseur d'identité avait déjà mis fin à cette connexion ({ $said }) : il n'y a rien à révoquer.
logout-revoke-failed-access = La révocation chez le fournisseur d'identité a échoué ({ $why }) ; la connexion est oubliée ici quand même. Le jeton reste valable chez le fournisseur jusqu'à son expiration : demandez à son administrateur de le révoquer s'il doit cesser maintenant.
status-over = Renouvellement : terminée par le fournisseur d'identité ({ $said }). Lancez `stepwise login`
status-over-client = Renouvellement : refusé : le fournisseur d'identité ne prend pas l'identifiant client { $client } ({ $said }). Connectez-vous avec celui qu'il connaît : `stepwise login --client-id ID` (ou définissez `client_id` dans le fichier de configuration)
status-client = Client :         { $client }, scopes { $scopes }, audience { $audience }
status-scopes-granted = { $asked } demandées, { $granted } accordées
help-cli-login-issuer = L'URL d'émetteur du fournisseur d'identité (sinon STEPWISE_ISSUER, `issuer` dans le fichier de configuration, sinon trouvée par la passerelle)
help-cli-login-client-id = L'identifiant client enregistré pour stepwise chez le fournisseur d'identité (sinon `client_id` dans le fichier de configuration, sinon stepwise)
help-cli-login-scope = Les scopes à demander, séparés par des espaces (sinon `scopes` dans le fichier de configuration, sinon ceux de la passerelle, sinon "openid offline_access")
help-cli-login-audience = L'audience (ressource) pour laquelle demander le jeton (sinon `audience` dans le fichier de configuration)
help-cli-login-device = Se connecter avec un code approuvé dans n'importe quel navigateur, même si l'on pouvait en ouvrir un ici
help-cli-serve-client-id = Un identifiant client que le fournisseur d'identité connaît (répétable ; par défaut : stepwise)
doctor-source-login = la connexion conservée (`stepwise login`)
doctor-token-login-over = la connexion conservée a été terminée par le fournisseur d'identité ({ $said })
doctor-token-fix-login = Lancez `stepwise login`
doctor-token-fix-client-id = Indiquez l'identifiant client que connaît le fournisseur d'identité avec --client-id ID (ou `client_id` dans le fichier de configuration), puis lancez `stepwise login --client-id ID`
doctor-token-fix-kept-fixed = Il a été conservé par `stepwise login --with-token` : demandez son jeton actuel à qui exploite la passerelle et gardez-le avec `stepwise login --with-token`
