# stepwise — o catálogo de mensagens, português. Mesmos ids e mesmas
# variáveis de en.ftl; os números escolhem as formas do plural.

## The steps screen

header-car = veículo { $car }
header-steps-id = stepsID { $id }
header-at = às { $time } UTC
header-not-loaded = não carregado
header-watch-on = acompanhar ON
header-watch-live = acompanhar ON · ao vivo
header-watch-polling = acompanhar ON · consulta a cada { $secs } s
header-watch-retrying = acompanhar ON · tentando de novo
header-watch-off = acompanhar off
header-autoplay = automático
header-guide-lang = cliente: { $lang }
progress-done = { $done } de { $total } feitos
progress-filtered = (filtro: «{ $filter }», { $shown ->
    [0] { $shown } passos mostrados
    [one] { $shown } passo mostrado
   *[other] { $shown } passos mostrados
})
list-title = Passos, em ordem
list-title-filtered = Passos: só «{ $filter }»
list-loading = Pedindo os passos ao gateway…
list-loading-held = Retido: o gateway pediu que toda requisição esperasse (HTTP 429, o cabeçalho faz a contagem regressiva); os passos são pedidos quando a espera acabar.
list-none = Ainda sem lista: r pede de novo.
list-none-waiting = Ainda sem lista: o gateway pediu para esperar (a mensagem diz quanto); o acompanhamento pergunta de novo quando a espera acabar.
list-none-sign-in = Ainda sem lista: o gateway quer um token válido. Pressione i para entrar, se o gateway oferecer login (senão, comece de novo com --token-file); depois a lista é pedida de novo.
list-none-token-given = Ainda sem lista: o gateway quer um token válido, e o login aqui falha (a mensagem diz por quê). Saia e comece de novo com um token dado: --token-file ARQUIVO ou STEPWISE_TOKEN.
list-none-unknown-id = Sem lista: o gateway não conhece este id, então pedir de novo não adianta. Confira o id.
list-none-fix-cause = Sem lista: pedir de novo dá a mesma resposta até que se corrija o que a mensagem indica.
list-empty-filtered = Nenhum passo tem o estado «{ $filter }». A tecla «f» muda o filtro.
list-empty = O gateway não devolveu passos para este carAssociationID.
mark-next = AGORA
mark-waits = aguarda
mark-status-raw = status { $status }
mark-waits-for = aguarda { $order }
guide-title = O que o cliente faz: { $title }
guide-title-none = Instruções
guide-no-step = Nenhum passo a orientar. Se o aplicativo do cliente ainda recusar o serviço, confira o carAssociationID ou redefina o cache de passos com R.
guide-waiting = As instruções do próximo passo aparecem quando a lista chegar.
guide-link = Guia:
guide-does = O cliente:
guide-needs = Ter à mão:
guide-errors = Erros do aplicativo neste passo:
guide-errors-hint = tecla «e»: explicação
guide-link-archive = Documentação para desenvolvedores (arquivada, em inglês):
guide-keys-gateway = «g» mostra a página do cliente ({ $lang }) no gateway como código QR; a tecla «o» abre a página.
guide-keys-dealer = «g» mostra a página de ajuda da concessionária como código QR; a tecla «o» abre a página.
guide-keys-archive = «g» mostra a página arquivada para desenvolvedores como código QR; a tecla «o» abre a página (o gateway não serve páginas para clientes).
guide-more-below = ↓ mais: PgDn
guide-more-above = ↑ mais acima: PgUp
list-more-below = ↓ mais { $count }: j
list-more-above = ↑ mais { $count } acima: k
ready-title = Serviço pronto
ready-line = Todos os passos estão feitos: o serviço está pronto para uso.
ready-services = O serviço contratado (estado do veículo ou comandos remotos) já pode ser usado no aplicativo do cliente.
ready-stale-before = Se o aplicativo ainda falhar com o erro 2312 ou 2317, o cache de passos está desatualizado: pressione{" "}
ready-stale-after = {" "}para redefini-lo e ver o estado real.

## Requests in flight

loading-steps = buscando os passos
loading-held = { $what }, retido pelo limite do gateway (HTTP 429)
loading-refresh = atualizando
loading-reset = redefinindo o cache de passos
loading-next = pedindo o próximo passo
loading-customer = o cliente está agindo

## Banners
# Between a banner's title and its text (French puts a space before the colon).
banner-title-sep = {": "}
banner-cut = {" "}… mais: uma janela maior mostra tudo{" "}
banner-cut-help = {" "}… mais: ? mostra tudo{" "}

banner-no-steps-id = Ainda sem stepsID
banner-no-steps-id-text = Atualize primeiro com r.
banner-no-steps-id-in-list-text = A lista do gateway veio sem stepsID, e a próxima etapa só pode ser pedida pelo stepsID: r não trará um. Avise quem opera o gateway que falta o stepsID na lista.
banner-steps-id-dropped = stepsID descartado
banner-steps-id-dropped-text = O gateway recusou o stepsID que ele mesmo tinha dado, então ele foi descartado; a lista na tela é a última que veio com ele. r pede um novo pelo carAssociationID.
banner-watch-off = Acompanhamento off
banner-watch-off-text = w acompanha de novo.
banner-nothing-to-watch = Nada a acompanhar
banner-nothing-to-watch-text = Todos os passos já estão feitos.
banner-no-step-shown = Nenhum passo na tela
banner-no-step-shown-text = «g» e «o» dão ao cliente a página do passo na tela, e não há nenhum: nenhuma lista chegou ainda, ou ela não tem passos. A tecla «r» pede a lista de novo.
banner-key-needs-list = «{ $key }» precisa de uma lista de passos, e nenhuma chegou. Por quê:
banner-no-step-shown-filter-text = «g» e «o» dão ao cliente a página do passo na tela, e o filtro esconde todos os passos (nenhum tem o estado «{ $filter }»). Pressione «f» até os passos aparecerem e escolha um com ↑↓.
banner-watching = Acompanhando
banner-watching-text = Acompanhando a lista até tudo estar feito (o cabeçalho diz como: ao vivo ou por consulta); w para.
banner-list-without-steps-id = Nenhum stepsID na lista
banner-list-without-steps-id-text = A lista do gateway não traz stepsID: a chamada do próximo passo (n) e os eventos ao vivo não podem perguntar por ele, então o acompanhamento pergunta por carAssociationID a cada { $secs } s. Avise o operador do gateway: uma lista traz o seu stepsID.
banner-watch-stopped = Acompanhamento parado: { $what }
banner-live-trouble = Acompanhamento interrompido: { $what }
banner-live-stalls = Fluxo ao vivo restabelecido após uma parada
live-bad-event = o fluxo de eventos ao vivo do gateway enviou um evento inutilizável: { $why }. As listas em si estão certas; avise quem administra o gateway
live-proxy-held = o fluxo de eventos ao vivo não teve resposta em { $secs } s através do proxy { $proxy }, embora as chamadas de lista por ele tenham resposta: o proxy retém uma resposta que não termina (ele armazena em buffer o fluxo de eventos). Peça a quem administra o proxy que deixe passar text/event-stream sem buffer, ou defina NO_PROXY={ $host } se o gateway for acessível sem ele
banner-live-trouble-text = { $why }. O acompanhamento continua sozinho assim que puder; até lá, a lista na tela pode estar desatualizada.
banner-live-trouble-wait-text = { $why }. O gateway pediu para esperar { $secs } s (seu Retry-After): o acompanhamento pergunta de novo então; até lá, a lista na tela pode estar desatualizada.
banner-live-trouble-wait-capped-text = { $why }. O gateway pediu para esperar { $secs } s (seu Retry-After); o stepwise espera no máximo { $max } s: o acompanhamento pergunta de novo então; até lá, a lista na tela pode estar desatualizada.
banner-429-capped-text = { $why }. O stepwise espera no máximo { $max } s: então pede de novo (o cabeçalho faz a contagem), e o gateway pode recusar do mesmo jeito até a espera dele terminar.
banner-live-held-text = { $why }. O acompanhamento não pergunta de novo sozinho: uma renovação do token cuja resposta se perdeu não é reenviada sem você (o refresh token pode estar gasto). Pressione r quando o caminho até o provedor de identidade funcionar; até lá a lista na tela pode estar desatualizada.
banner-watch-retries = O acompanhamento pede de novo sozinho (o cabeçalho diz “tentando de novo”); r pede agora.
banner-watch-waits = O acompanhamento pede de novo sozinho depois dessa espera; pedir antes (r) não ajuda.
banner-watch-waits-secs = O acompanhamento pede de novo sozinho depois dos { $secs } s de espera que o gateway pediu; pedir antes (r) não ajuda.
banner-env-restart = Um stepwise em execução lê as variáveis de proxy ao iniciar: saia (q) e inicie-o de novo depois de mudá-las.
banner-live-fallback = Fluxo ao vivo abandonado: a lista é pedida a cada { $secs } s
banner-live-fallback-text = O fluxo de eventos do gateway falhava sem parar (último: { $what }). O acompanhamento continua pedindo a lista a cada { $secs } s: a lista na tela fica atualizada, uma mudança aparece até { $secs } s depois. Se isso continuar, passe a falha entre parênteses ao operador do gateway, ou a quem opera um proxy no caminho (um fluxo pode falhar em um).
banner-live-fallback-contradicted-text = Abandonado de imediato: { $what }. O acompanhamento continua pedindo a lista a cada { $secs } s: a lista na tela fica atualizada, uma mudança aparece até { $secs } s depois.
banner-watch-stopped-text = { $why }. Continuar só repetiria esta resposta; depois de resolver, w acompanha de novo.
banner-run-keeps-refusal = { $why }. Esta execução não consulta mais o gateway com este login, então r e w recebem de novo esta resposta: quando for corrigido, ou depois de um novo `stepwise login`, saia com q e inicie o stepwise de novo.
banner-customer-idle = Nada mais para o cliente
banner-customer-idle-text = Todos os passos estão feitos.
banner-no-report-place = Sem lugar para o relatório
banner-no-report-place-text = Não há pasta de dados do usuário; use --report CAMINHO.
banner-report-written = Relatório gravado
banner-note-kept = Nota guardada
banner-note-kept-text = Vai para o relatório da sessão.
banner-note-kept-press-x-text = Ela vai para o relatório da sessão, que o x grava (nenhum --report foi dado): pressione x antes de sair. q com uma nota não gravada pergunta de novo, e um segundo q sai sem ela; uma sessão encerrada de outro modo (Ctrl-C, uma janela fechada) o grava onde o x grava.
banner-note-token = Nota não guardada
banner-note-token-text = Ela contém o que parece um token de login, e um token nunca vai para um relatório. Pressione N e digite a nota sem ele.
banner-note-token-word-text = Ela contém o que parece um token de login (a palavra de { $len } caracteres que começa com { $start }…), e um token nunca vai para um relatório. Pressione N: a nota volta como foi digitada, para tirar essa palavra.
report-note-token-left-out = uma nota que estava sendo digitada quando o assistente terminou foi deixada de fora: ela continha o que parece um token de login, e um token nunca vai para um relatório. Escreva-a de novo sem o token
banner-note-unsaved = Nota não salva
banner-note-unsaved-text = Nenhum relatório contém sua nota ainda (nenhum --report foi informado). Pressione x para gravar o relatório com ela, ou q de novo para sair sem ela.
banner-note-unsaved-failed-text = Nenhum relatório contém sua nota ainda: x não conseguiu gravá-lo ({ $why }). Corrija isso e pressione x; ou pressione q de novo para sair sem a nota.
banner-task-failed = O pedido parou devido a um erro interno
banner-task-failed-text = o stepwise não conseguiu concluí-lo ({ $why }). r tenta de novo; se acontecer de novo, envie o arquivo de log ao suporte.
banner-report-not-written = Relatório não gravado
banner-report-not-written-text = Não foi possível gravar { $path }: { $why }. Verifique se a pasta existe e aceita gravação.
banner-report-in-the-way-text = Não foi possível gravar { $path }: em { $file } há um arquivo onde deve haver uma pasta (a pasta de relatórios ou uma acima dela). Mova ou renomeie esse arquivo e pressione x de novo.
banner-guide-opened = Link passado ao navegador
banner-no-browser = Não foi possível abrir um navegador
banner-no-graphical-session = Sem sessão gráfica aqui. Abra { $url } em outro dispositivo, ou g para o código QR.
banner-no-graphical-session-local = Sem sessão gráfica aqui, e { $url } só existe neste computador (loopback): outro dispositivo também não consegue abri-la. Dê a --api um endereço do gateway que a rede da oficina alcance e pressione g para o QR code.
banner-no-graphical-session-demo = Não há sessão gráfica aqui, e { $url } só existe nesta máquina (backend de demonstração). Para celulares: rode `stepwise serve --addr 0.0.0.0:8080` e passe ao assistente --api com o endereço que o serve mostra; aí g mostra o código QR.
banner-browser-failed = { $why }. Abra { $url } à mão, ou g para o código QR.
banner-step-done = { $count ->
   *[other] Feito — { $steps }
}
banner-step-undone = { $count ->
   *[other] De novo pendente — { $steps }
}
banner-step-undone-text = a lista mais recente do gateway o tem de novo pendente (uma redefinição em outro lugar, uma chave revogada, ou um gateway que perdeu o estado): o cliente o faz de novo; a lista mostra o que falta.
banner-steps-undone-text = a lista mais recente do gateway os tem de novo pendentes (uma redefinição em outro lugar, uma chave revogada, ou um gateway que perdeu o estado): o cliente os faz de novo; a lista mostra o que falta.
banner-next-is = o próximo passo é { $title }.
banner-all-done-ready = tudo feito, o serviço está pronto.
banner-nothing-shown-left = na lista mostrada não resta nada a fazer.
banner-reset-done = Cache de passos redefinido
banner-reset-done-text = Cada passo foi reavaliado; a lista mostra o estado real.
banner-reset-refused-front = Redefinição recusada
banner-reset-refused-front-text = Algo na frente do gateway respondeu à redefinição do cache de passos (resetSteps=true) com HTTP { $status } e sem corpo de erro do gateway, enquanto as listas vêm deste endereço: só a chamada de redefinição é recusada. O cache não foi redefinido, e a lista na tela continua como estava. Pergunte ao operador do gateway, ou a quem administra a rede, se a chamada de redefinição é deixada passar.
banner-reset-unanswered = Redefinição enviada, sem resposta
banner-reset-unanswered-text = o gateway recebeu a redefinição do cache de passos (resetSteps=true) mas não respondeu em { $secs } s: o cache talvez já esteja redefinido, talvez não. Pressione r primeiro para ver a lista como está agora; redefina de novo só se ela ainda mostrar como feitos passos que o cliente não fez.
banner-reset-gave-up-text = a redefinição do cache de passos (resetSteps=true) recebeu HTTP { $status } de algo na frente do gateway que desistiu de esperar por ele: o cache talvez já esteja redefinido, talvez não. Pressione r primeiro para ver a lista como está agora; redefina de novo só se ela ainda mostrar como feitos passos que o cliente não fez.
banner-no-longer-found = Não encontrado mais
banner-no-longer-found-text = este endereço respondeu listas para este veículo antes nesta sessão, e agora responde 404 (não encontrado): o id e --api estavam certos, então o gateway, ou um roteador ou proxy na frente dele, mudou (um reinício, uma implantação, uma rota perdida). Pressione r daqui a pouco para perguntar de novo; se persistir, avise o operador do gateway, com a hora.
banner-steps-id-changing = O gateway continua mudando o stepsID deste veículo
banner-steps-id-changing-text = pediu-se a lista do stepsID { $asked }, e ele respondeu a lista do stepsID { $answered }, menos de um minuto depois de recomeçar por carAssociationID. O acompanhamento parou em vez de perguntar sem fim. Pressione r para perguntar de novo por carAssociationID; se continuar mudando, avise o operador do gateway (ou quem administra um proxy ou cache no meio).
banner-started-over = Recomeçado
banner-started-over-text = { $why }; pedido de novo pelo carAssociationID.
banner-refused-again = O gateway recusa o stepsID que acabou de dar
banner-refused-again-text = { $why }, de novo, menos de um minuto depois de recomeçar por carAssociationID. Acompanhamento parado em vez de perguntar sem fim. Avise quem administra o gateway; r pergunta mais uma vez por carAssociationID.
why-other-device = O stepsID pertencia a outro dispositivo
why-steps-id-unknown = O gateway não conhece mais o stepsID
why-steps-id-changed = O gateway respondeu a lista de outro stepsID (um novo para este veículo, ou respostas trocadas no caminho)
banner-gateway-next = Próximo passo segundo o gateway
banner-gateway-next-text = { $title } ({ $name }).
banner-gateway-next-hidden-text = { $title } ({ $name }), fora da lista mostrada; f muda o filtro.
banner-filter-ignored = Filtrado aqui, não pelo gateway
banner-list-lost-steps = Lista sem passos
banner-list-lost-steps-text = A lista do gateway para o stepsID { $id } não contém mais { $steps }, que não estavam feitos: uma lista nunca perde os passos que tinha (uma lista filtrada dada como a inteira?). Ela não é usada, nem o veículo dito pronto: a lista na tela é a última inteira. Pressione r para pedir de novo; se continuar assim, avise quem opera o gateway
banner-nothing-left = Nada mais a fazer
banner-nothing-left-text = O gateway respondeu null: não resta nenhum passo, o serviço está pronto.
banner-next-list-older = A lista na tela é mais antiga que esta resposta: ela é pedida de novo.
banner-next-disagrees = As duas respostas do gateway não batem
banner-next-disagrees-text = O próximo passo dele é { $said } (`{ $name }`), mas a lista pedida de novo agora ainda põe { $first } (`{ $first_name }`, status “{ $status }”) primeiro, não feito: a lista não é antiga. Pergunte ao operador do gateway qual o cliente faz primeiro.
banner-answers-disagree = O gateway se contradiz
banner-answers-disagree-text = A chamada do próximo passo disse que nada resta, mas a lista, pedida de novo agora mesmo, ainda tem passos a fazer (NEXT marca o primeiro). Siga a lista e avise quem opera o gateway que as duas chamadas não batem.

## The start screen
backend-demo = backend de demonstração
demo-car-987654 = Exemplo da documentação: telefone confiável, dispositivo não ativado
demo-car-moved = Veículo de demonstração, agora { $done } de { $total } passos feitos (demo --fresh recomeça)
demo-car-reset-done = Cache redefinido nesta sessão: a lista agora mostra o estado real
demo-fresh-done = Demonstração recomeçada: cada veículo de demonstração voltou ao ponto que sua descrição indica.
demo-fresh-failed = não é possível recomeçar a demonstração: seu estado { $path } não pode ser removido ({ $error }). Remova esse arquivo à mão e comece de novo
launch-note-title = Observação
cli-ids-repeated = Informado mais de uma vez, consultado uma vez só: { $ids }.
cli-ids-one-line = { $path } tem uma linha com { $values } valores em colunas: só o primeiro é lido como carAssociationID (a primeira coluna de um arquivo). Para consultar cada um, ponha um id por linha.
cli-ids-rows-without-id = { $count ->
    [one] { $path }: a linha { $lines } não tem carAssociationID na coluna de ids, então é ignorada. Preencha o id dela para consultar esse veículo.
   *[other] { $path }: as linhas { $lines } não têm carAssociationID na coluna de ids, então são ignoradas. Preencha os ids delas para consultar esses veículos.
    }
cli-ids-column-guessed = { $path }: a primeira linha não nomeia nenhuma coluna carAssociationID, então os ids foram lidos da coluna { $column } (“{ $name }”), a única cujos valores são todos ids com um dígito. Se não forem os ids dos veículos, dê à coluna deles o título carAssociationID
demo-car-111111 = Cliente novo: nada feito ainda
demo-car-222222 = Serviço pronto: todos os passos feitos
demo-car-333333 = Cache desatualizado: o aplicativo mostra 2312/2317, só a redefinição do cache mostra o estado real
demo-car-444444 = Só Estado do veículo: dois passos

start-subtitle = passos de ativação do serviço
start-intro = Digite o carAssociationID do cliente (da assinatura dos serviços conectados) e pressione Enter.
start-replace-hint = Digitar substitui este id; ⌫ o edita
start-refused = Não aceito: { $chars }. Um id só tem letras a–z, A–Z, dígitos, - e _.
start-dropped-confirm = Deixados de fora: { $chars }. Enter de novo usa { $id } como está (outro veículo?); senão, corrija.
start-too-long = Um id tem no máximo { $max } caracteres; o resto foi descartado.
start-not-an-id = Digite um carAssociationID: letras a–z, A–Z, dígitos, - ou _.
start-excel-number = { $number } é um número longo como o Excel o mostra (notação científica), não um id: seus últimos dígitos se perderam. No Excel, formate a coluna como Texto, digite o id de novo e copie-o de lá.
start-several-ids = { $count } linhas foram coladas (uma coluna de ids?): o campo aceita um id, então nenhum foi aceito. Cole ou digite um; para um painel com todos, saia e inicie com --cars ARQUIVO (um id por linha) ou --car ID --car ID
board-add-several-ids = { $count } linhas foram coladas (uma coluna de ids?): este campo adiciona um id por vez, então nenhum foi aceito. Cole ou digite um, Enter, e de novo a para o próximo; os veículos do painel continuam
start-label-left-out = O texto colado começava com o rótulo "{ $label }", deixado de fora: o campo contém o id depois dele.
start-note-unsaved = Nota não salva: nenhum relatório a contém ainda (nenhum --report). Abra um veículo e pressione x para gravar o relatório com ela, ou pressione q de novo para sair sem ela.
start-choices = Ids recentes (↑↓ para escolher):
start-choices-demo = Ids recentes e de demonstração (↑↓ escolher):
start-recent = recente

## A window too small

too-small-title = Janela pequena demais
too-small-text = stepwise precisa de { $min_w }×{ $min_h }; esta tem { $w }×{ $h }.
too-small-hint = Aumente a janela (q sai).
too-small-note-unsaved = Sua nota ainda não está em nenhum relatório: aumente a janela e pressione x para gravar o relatório com ela, ou q de novo para sair sem ela.

## Overlays

help-title = Ajuda (Esc fecha)
help-title-more = Ajuda (↓ PgDn para mais, Esc fecha)
help-section-start = Tela inicial
help-section-steps = Tela de passos
help-section-message = A mensagem na tela, completa
help-section-everywhere = Em todo lugar
help-section-reset = Confirmar redefinição
help-section-explain = Explicação de códigos de erro
help-section-qr = Código QR
help-section-help = Esta ajuda
help-section-badges = Etiquetas
help-legend-badges = [FEITO] feito (alreadyDone)  [A FAZER] a fazer (todo)  [????] estado desconhecido
badge-done = FEITO
badge-todo = A FAZER
badge-unknown = ????
help-legend-next = AGORA marca o passo a fazer agora; os seguintes aguardam por ele.
reset-title = Redefinir o cache de passos
reset-question = Redefinir o cache de passos de { $car }?
reset-when = Use quando o aplicativo do cliente mostrar o erro 2312 ou 2317, ou quando um passo aparecer feito sem estar.
reset-what = Cada passo é então reavaliado; os que estão realmente feitos continuam feitos.
explain-title = Explicar um código de erro (Esc fecha)
explain-code = Código de erro:
explain-prompt = Digite o código que o aplicativo do cliente mostra, p. ex. 2312 ou NOK:MAXNBTOOLS.
explain-known = Conhecidos: { $codes }
explain-meaning = Significado:
explain-remedy = O que fazer:
explain-limits = Limites:
explain-reset-cures = ✔ Redefinir o cache de passos resolve: feche com Esc e pressione{" "}
explain-unknown = { $code } não é um código que esta ferramenta conheça.
explain-unknown-hint = Confira o que foi digitado e procure o código na lista de erros do fabricante; depois de Esc, anote-o em uma nota (N) para o relatório da sessão.
qr-title-gateway = Escaneie: a página do cliente ({ $lang }) (Esc fecha)
qr-title-dealer = Escaneie: a página de ajuda da concessionária (Esc fecha)
qr-title-archive = Escaneie: documentação para desenvolvedores, arquivada (Esc fecha)
qr-demo-local = Só este computador abre esta página (backend de demonstração). Para telefones: execute `stepwise serve --addr 0.0.0.0:8080` e dê ao assistente --api com o endereço que o serve mostra.
qr-loopback = Este endereço só existe neste computador (loopback): um telefone não consegue abri-lo. Dê a --api o endereço que o gateway tem na rede da oficina.
qr-too-small = A janela é pequena demais para o código QR; aumente-a.

## Keys: a short word for the footer, a line for help
# The names of keys as the keyboards of this language print them.
key-name-esc = Esc
key-name-enter = Enter
key-name-space = Espaço
key-name-pgdn = PgDn
key-name-pgup = PgUp
key-name-ctrl-c = Ctrl-C
key-name-yes = s

key-short-quit = sair
key-short-open = abrir
key-short-pick = escolher
key-short-help = ajuda
key-short-type = digitar
key-short-erase = apagar
key-short-clear = limpar
key-short-move = mover
key-short-more = mais
key-short-refresh = atualizar
key-short-watch = acompanhar
key-short-act = agir
key-short-next = próximo
key-short-filter = filtrar
key-short-reset = redefinir
key-short-explain = explicar
key-short-open-guide = abrir guia
key-short-qr = código QR
key-short-report = relatório
key-short-back = voltar
key-short-scroll = rolar
key-short-page = página
key-short-close = fechar
key-short-reset-now = redefinir já
key-short-cancel = cancelar
key-short-open-browser = abrir no navegador
key-short-guide-lang = idioma cliente
key-help-quit-now = sair imediatamente
key-help-quit = sair
key-help-quit-empty = sair (com o campo vazio)
key-help-open = abrir os passos deste carAssociationID
key-help-pick = escolher um id recente ou de demonstração
key-help-help = ajuda de todas as teclas
key-help-type-id = digitar o carAssociationID (letras a–z, A–Z, dígitos, - e _)
key-help-erase = apagar o último caractere
key-help-clear = limpar o campo
key-help-move = mover a seleção
key-help-guide-down = rolar as instruções para baixo
key-help-guide-up = rolar as instruções para cima
key-help-refresh = atualizar a lista pelo stepsID
key-help-watch = acompanhar: seguir cada mudança até tudo estar feito
key-help-act = o cliente simulado faz o próximo passo (demo)
key-help-next = pedir ao gateway o próximo passo
key-help-filter = filtrar por estado: todos, a fazer (todo), feitos (alreadyDone)
key-help-reset = redefinir o cache de passos (erros 2312/2317)
key-help-explain = explicar um código de erro do aplicativo
key-help-open-guide = abrir o guia do passo em um navegador
key-help-qr = mostrar o link do guia como código QR
key-help-report = gravar o relatório da sessão (Markdown)
key-help-back = voltar à tela inicial
key-help-back-board = voltar ao painel
key-short-note = nota
key-help-note = escrever uma nota para o relatório da sessão
key-help-save-note = guardar a nota para o relatório
key-help-type-note = escrever a nota
help-section-note = A nota para o relatório
key-help-scroll = rolar a ajuda
key-help-page-down = uma página abaixo
key-help-page-up = uma página acima
key-help-close-help = fechar a ajuda
key-help-reset-now = redefinir o cache de passos agora
key-help-cancel = cancelar
key-help-close-explain = fechar a explicação
key-help-type-code = digitar o código: dígitos, letras, : _ .
key-help-close-qr = fechar o código QR
key-help-open-browser = abrir o link em um navegador
key-help-guide-lang = passar as instruções do cliente para o idioma seguinte

## The session report (Markdown)

report-title = Relatório de sessão do stepwise
report-none = (nenhum)
report-backend = gateway
report-end = estado final: { $done } de { $total } feitos
report-end-ready = estado final: { $done } de { $total } feitos, serviço pronto
report-end-next = estado final: { $done } de { $total } feitos, próximo: { $title } (`{ $name }`)
report-col-order = ordem
report-col-step = passo
report-col-name = nome
report-col-status = estado
report-events = Eventos
report-event-opened = aberto o carAssociationID { $car }
report-event-removed = removido do painel pelo técnico
report-event-steps-id-changed = o gateway respondeu a lista de outro stepsID ({ $answered }); perguntado de novo por carAssociationID
report-event-list-next = lista (stepsID { $id }): { $done } de { $total } feitos, próximo `{ $next }`
report-event-list-clear = lista (stepsID { $id }): { $done } de { $total } feitos, nada pendente
report-event-list-empty = lista (stepsID { $id }): nenhum passo devolvido, então não se sabe se o serviço está pronto
report-event-filtered = lista filtrada pelo estado «{ $status }»: { $shown ->
    [0] { $shown } passos mostrados
    [one] { $shown } passo mostrado
   *[other] { $shown } passos mostrados
}
report-event-reset = redefinição do cache de passos pedida (resetSteps=true); a resposta do gateway vem a seguir
report-event-next = próximo passo segundo o gateway: `{ $step }`
report-event-next-none = próximo passo segundo o gateway: nenhum (null)
report-event-simulated = o cliente simulado concluiu `{ $step }`
report-event-error = erro: { $what }: { $detail }
report-event-started-over = { $status ->
    [404] o gateway não conhecia mais o stepsID (HTTP { $status }); recomeçado com o carAssociationID
   *[other] o gateway recusou o stepsID (HTTP { $status }); recomeçado com o carAssociationID
}
report-event-started-over-live = o fluxo ao vivo do gateway recusou o stepsID; recomeçado com o carAssociationID
report-events-left-out = { $n ->
    [one] { $n } evento omitido
   *[other] { $n } eventos omitidos
} (são mantidos os { $first } primeiros e os { $last } últimos)
report-vehicle-count = { $count ->
    [0] { $count } veículos
    [one] { $count } veículo
   *[other] { $count } veículos
}
report-empty = Nada aconteceu nesta sessão: nenhum veículo foi aberto e nenhuma nota foi escrita.
report-ended-quit = Sessão encerrada às { $at }: o técnico saiu.
report-ended-hangup = Sessão encerrada às { $at }: o terminal foi fechado (SIGHUP), não pela saída do técnico.
report-ended-signal = Sessão encerrada às { $at }: parada por { $signal }, não pela saída do técnico.
report-ended-terminal = Sessão encerrada às { $at }: o terminal sumiu durante a sessão, não pela saída do técnico.
report-notes = Notas e eventos da sessão
report-event-note = nota: { $text }
report-event-signed-in = login feito no assistente (i); os veículos recusados por falta de token pedem de novo
report-event-sign-in-failed = o login no assistente (i) falhou: { $detail }
report-event-note-unfinished = nota (incompleta: estava sendo digitada quando o assistente terminou): { $text }
report-event-explained = código { $code } explicado: { $meaning }
report-event-filter-chosen = filtro de status escolhido: { $status }
report-event-watch-on = acompanhamento ativado
report-event-watch-off = acompanhamento desativado
report-event-watch-stopped = o acompanhamento parou sozinho: { $what } (perguntar de novo não mudaria a resposta)
report-event-guide-lang = as instruções do cliente passaram para { $lang }
report-event-held = o HTTP 429 do gateway segurou todo pedido a ele por { $secs } s (o Retry-After dele): nenhuma lista foi pedida nesse meio-tempo, e as mostradas envelheceram

## The plain output of steps and next

cli-none = nenhum
cli-list-head-car = carAssociationID { $car }, stepsID { $id } ({ $backend })
cli-list-head = stepsID { $id } ({ $backend })
cli-no-steps = Nenhum passo devolvido.
cli-no-steps-unknown = Nenhum passo devolvido: não se sabe se o serviço está pronto. Se o aplicativo do cliente ainda o recusar, confira o carAssociationID ou redefina o cache de passos (execute de novo com --reset)
cli-summary-next = { $done } de { $total } feitos; próximo: { $title }
cli-summary-clear = { $done } de { $total } feitos; nada pendente
cli-interrupted-many = interrompido: as listas dos { $count } veículos são impressas juntas, na ordem do arquivo, quando cada um é respondido ou a --deadline de { $secs } s é atingida, então nenhuma foi impressa. Execute de novo; uma --deadline mais curta limita a espera
cli-filtered = filtrado: { $shown ->
    [0] nenhum passo com estado «{ $filter }» mostrado
    [one] { $shown } passo com estado «{ $filter }» mostrado
   *[other] { $shown } passos com estado «{ $filter }» mostrados
    }; execute de novo sem --status para ver a lista inteira
cli-filter-ignored = o gateway não aplicou o filtro: { $other } dos { $total } passos acima { $other ->
        [one] tem
       *[other] têm
    } o estado { $status }. Avise o operador do gateway: stepsStatus não é aplicado
cli-filter-ignored-json = o gateway não aplicou o filtro: { $other } dos { $total } passos da resposta { $other ->
        [one] tem
       *[other] têm
    } o estado { $status }. Avise o operador do gateway: stepsStatus não é aplicado
cli-no-steps-id = a lista do gateway não traz stepsID: `stepwise next` e os eventos ao vivo não podem perguntar por ele, e a lista só pode ser pedida de novo por carAssociationID. Avise o operador do gateway: uma lista traz o seu stepsID
cli-next-none = Nada mais a fazer: o serviço está pronto.

## A failed gateway call: what happened, why, what to do

gw-unreachable = não foi possível alcançar o gateway em { $base }: { $detail }. Confira se ele está rodando e se --api está certo
gw-unresolved = não foi possível acessar o gateway em { $base }: o nome { $host } é desconhecido do DNS deste computador. Confira o nome de host em --api e as configurações de DNS deste computador (o gateway precisa de uma VPN?)
gw-timed-out = o gateway em { $base } aceitou a conexão mas não respondeu em { $secs } s: está ocupado ou travado. Tente de novo; se persistir, avise quem opera o gateway
gw-timed-out-proxy = nenhuma resposta em { $secs } s do gateway em { $base } pelo proxy { $proxy }: o proxy, ou o gateway por trás dele, não responde. Pergunte a quem opera o proxy se ele repassa as requisições para { $host }, ou defina NO_PROXY={ $host } se o gateway for acessível sem o proxy; depois tente de novo
gw-too-large = a resposta do gateway passa de { $kib } KiB e não foi lida além disso: nenhuma lista de passos é tão grande, e pedir de novo traz o mesmo. Se --api aponta para um gateway de passos (já vieram listas dele), ele envia demais: avise o operador do gateway; se não, confira se --api aponta para um gateway de passos
gw-compressed = a resposta do gateway{ $via } veio compactada ({ $encoding }), embora o stepwise peça as respostas como são (Accept-Encoding: identity), e o stepwise não a lê. O gateway, ou um proxy no caminho, compacta sem que se peça: avise quem opera o gateway (ou o proxy)
gw-captive-portal = HTTP 511{ $via }: a rede deste computador pede um login antes (um portal cativo, como em Wi-Fi de visitantes), então a requisição nunca chegou ao gateway. Abra um navegador neste computador, aceite a página de acesso da rede e tente de novo; ou use outra rede
gw-scope-wanted = HTTP { $status }: o gateway aceitou o token, mas diz que falta o escopo { $scope } (seu WWW-Authenticate: insufficient_scope). Entre de novo pedindo-o (`stepwise login --scope "{ $ask }"`, ou `scopes` no arquivo de configuração), ou peça a quem fornece os tokens um com esse escopo
gw-scope-wanted-asked = HTTP { $status }: o gateway aceitou o token do login guardado, mas diz que falta o escopo { $scope } (seu WWW-Authenticate: insufficient_scope), embora esse login tenha pedido { $scope }: entrar de novo pede o mesmo. Ou o provedor de identidade não concede { $scope } ao stepwise (pergunte ao administrador dele), ou o gateway quer outro escopo ou outra audiência (pergunte ao operador do gateway)
gw-scope-wanted-dropped = HTTP { $status }: o gateway aceitou o token do login guardado, mas diz que falta o escopo { $scope } (seu WWW-Authenticate: insufficient_scope): o login o pediu, e a concessão do último token o deixou de fora (concedido: { $granted }), como uma renovação pode fazer. Entre de novo (`stepwise login`; no assistente, i); se as renovações continuarem a deixá-lo de fora, avise o administrador do provedor de identidade
gw-scope-wanted-unnamed = HTTP { $status }: o gateway aceitou o token, mas diz que falta um escopo (seu WWW-Authenticate: insufficient_scope, sem nomeá-lo). Pergunte a quem opera o gateway qual, e entre de novo com ele (`stepwise login --scope …`)
gw-scope-wanted-given = HTTP { $status }: o gateway aceitou o token (origem: { $from }), mas diz que falta o escopo { $scope } (seu WWW-Authenticate: insufficient_scope). Um token dado ali vale mais que qualquer login: coloque ali um que tenha esse escopo, ou remova-o e entre com `stepwise login --scope "{ $ask }"`
gw-scope-wanted-given-unnamed = HTTP { $status }: o gateway aceitou o token (origem: { $from }), mas diz que falta um escopo (seu WWW-Authenticate: insufficient_scope, sem nomeá-lo). Pergunte a quem opera o gateway qual, e coloque ali um token que o tenha, ou remova-o e entre com `stepwise login --scope …`
gw-scope-wanted-none = HTTP { $status }: o gateway quer um token com o escopo { $scope }, e nenhum foi enviado. Entre pedindo-o (`stepwise login --scope "openid offline_access { $scope }"`, ou `scopes` no arquivo de configuração), ou dê um token que o tenha com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-scope-wanted-none-unnamed = HTTP { $status }: o gateway quer um token com um escopo que não nomeia, e nenhum foi enviado. Pergunte ao operador do gateway qual escopo ele quer, depois entre pedindo-o (`stepwise login --scope …`), ou dê um token que o tenha com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-scope-wanted-none-no-signin = HTTP { $status }: o gateway quer um token com o escopo { $scope }, e nenhum foi enviado. Ele não oferece login: seu token vem de quem o administra. Peça a essa pessoa um token que tenha esse escopo, e guarde-o com `stepwise login --with-token`, ou passe-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-scope-wanted-none-no-signin-unnamed = HTTP { $status }: o gateway quer um token com um escopo que não nomeia, e nenhum foi enviado. Ele não oferece login: seu token vem de quem o administra. Peça a essa pessoa um token com o escopo desejado, e guarde-o com `stepwise login --with-token`, ou passe-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-scope-wanted-taken-no-signin = HTTP { $status }: o gateway aceitou o token informado via { $from }, mas diz que falta a ele o escopo { $scope } (seu WWW-Authenticate: insufficient_scope). Ele não oferece login: seu token vem de quem o administra. Peça a essa pessoa um que tenha esse escopo, e passe-o do mesmo jeito (um guardado com `stepwise login --with-token`)
gw-scope-wanted-taken-no-signin-unnamed = HTTP { $status }: o gateway aceitou o token informado via { $from }, mas diz que falta a ele um escopo que não nomeia (seu WWW-Authenticate: insufficient_scope). Ele não oferece login: seu token vem de quem o administra. Peça a essa pessoa um com o escopo desejado, e passe-o do mesmo jeito (um guardado com `stepwise login --with-token`)
gw-bad-answer = a resposta do gateway não pôde ser usada: { $why }. Se listas já vieram deste --api (deste veículo ou de outro), o gateway, ou algo na frente dele, respondeu outra coisa a esta chamada: avise o operador do gateway; se não, confira se --api aponta para um gateway de passos
gw-bad-answer-page = a resposta é uma página web (HTML) onde deveria vir o JSON do gateway: algo na frente do gateway (um firewall, um portal ou um proxy reverso) respondeu, ou --api aponta para um servidor web. Se listas já vieram deste --api, pergunte a quem opera a rede que página é essa; se não, confira se --api aponta para um gateway de passos
gw-bad-answer-gateway = a resposta do gateway não pôde ser usada: { $why }
gw-answer-cut = a resposta do gateway foi cortada ({ $why }). Tente de novo; se continuar cortada, o gateway ou algo no caminho (um proxy) corta as respostas: avise quem opera o gateway
answer-not-json = a resposta não é JSON ({ $detail })
answer-html = a resposta é uma página HTML (de um servidor web, de um portal ou de um proxy), não JSON
answer-empty = a resposta está vazia, quando se esperava JSON do gateway (uma lista de passos, um passo ou null)
answer-not-utf8 = a resposta não é texto UTF-8 (outro conjunto de caracteres, como Latin-1), como o JSON deve ser
answer-gzip = a resposta são dados compactados com gzip que não o dizem (sem Content-Encoding): o gateway, ou um proxy no caminho, compacta sem que se peça; avise quem opera o gateway
answer-wrong-shape = a resposta é JSON com outra forma que não a de uma lista de passos ({ $detail })
answer-wrong-shape-step = a resposta é JSON com outra forma que não a de um passo ({ $detail })
answer-next-done = a resposta do próximo passo nomeia { $step } mas o marca como feito: ela se contradiz, e não diz nem que nada resta nem qual passo vem a seguir. A lista deste stepsID diz quais passos restam; avise o operador do gateway
answer-bad-steps-id = a lista do gateway dá um stepsID ({ $id }) que viola a regra de ids do contrato (de 1 a 64 letras a–z, A–Z, dígitos, - ou _), então ele não pode ser enviado de volta para listas seguintes nem para a próxima etapa. Avise quem opera o gateway; o id digitado não é a causa
answer-error-body = o gateway enviou seu corpo de erro ({ $said }) com um status de sucesso (HTTP 2xx): ele recusou a requisição, embora o status diga outra coisa. Avise quem opera o gateway
json-at = ela deixa de ser JSON na linha { $line }, coluna { $column }
json-cut-at = ele para antes do fim na linha { $line }, coluna { $column }: a resposta foi cortada
json-stops-at = ela para na linha { $line }, coluna { $column }
json-kind-null = null
json-kind-boolean = um booleano
json-kind-number = um número
json-kind-string = uma string
json-kind-array = um array
shape-not-a-list = era esperado um objeto de passos; é { $kind }
shape-not-a-step = era esperado um objeto de passo ou null; é { $kind }
shape-no-steps = um objeto sem stepsID e sem passo; seus membros são { $members }
shape-no-step = era esperado um objeto de passo ou null; é um objeto sem passo, cujos membros são { $members }
shape-live-without-id = a lista de um evento ao vivo não tem stepsID, num fluxo que acompanha vários
os-refused = a conexão foi recusada: nada escuta naquele endereço e porta
os-reset = o outro lado cortou a conexão
os-network-unreachable = esta máquina não tem rota para essa rede
os-host-unreachable = esta máquina não tem rota para esse host
os-network-down = a rede desta máquina está fora do ar
os-timed-out = a conexão expirou
os-denied = esta máquina se recusou a abrir a conexão (um firewall ou uma configuração de segurança)
os-not-a-folder = há um arquivo onde deve haver uma pasta
os-read-only = o sistema de arquivos é somente leitura
os-file-denied = permissão negada (este usuário não pode gravá-lo, ou ele está bloqueado)
os-no-file-here = nenhum arquivo pode ser criado nessa pasta (uma pasta do sistema como /proc ou /sys)
os-folder-gone = a pasta { $folder } não existe mais: foi removida enquanto o assistente rodava, e não é criada de novo
os-folder-in-the-way = há uma pasta onde deve haver um arquivo
os-disk-full = o disco está cheio
os-addr-in-use = essa porta já está em uso (por um programa que escuta nela, ou por uma conexão recém-fechada que a segura por um minuto)
os-addr-not-available = esta máquina não tem esse endereço
net-closed-no-answer = o servidor fechou a conexão sem responder
net-bad-header = os cabeçalhos da resposta não são HTTP válido (um servidor com defeito, ou algo no caminho que altera as respostas)
net-bad-chunks = seus blocos (Transfer-Encoding: chunked) estão quebrados
net-head-broken = seus cabeçalhos estão quebrados
net-tls-eof = a conexão foi fechada durante o handshake TLS
net-not-http = o que respondeu não é HTTP (outro serviço nessa porta, ou um servidor TLS onde o endereço diz http://)
net-cut-short = ela terminou antes do tamanho anunciado
net-stalled = ela começou, depois parou no meio, e nada mais chegou no tempo permitido
net-dns-unknown = o nome não é conhecido pelo DNS desta máquina
gw-transport = a solicitação ao gateway falhou: { $detail }. Tente de novo; se persistir, confira a rede
gw-answer-malformed = a resposta do gateway chegou, mas não é HTTP válido: { $why }. Tente de novo; se persistir, o gateway ou algo no caminho (um proxy) estraga suas respostas: avise quem opera o gateway
gw-redirect-refused = o gateway redirecionou { $from } para { $to }, outro servidor ou uma conexão não segura; o stepwise não segue o redirecionamento. Informe em --api o endereço do próprio gateway
gw-redirect-same-server = o endereço do gateway redirecionou { $from } para { $to }, uma página do mesmo servidor que não é uma chamada de steps (uma página de login ou de portal, muito provavelmente); o stepwise não a segue nem envia o token para lá. Um gateway de steps responde às suas chamadas com JSON, não com um redirecionamento: peça a quem opera esse servidor para deixar passar as chamadas do gateway, ou dê a --api o endereço próprio do gateway
gw-redirect-to-https = o gateway em { $from } mudou para { $to } (https://); o stepwise não segue redirecionamentos. Use o endereço https:// em --api
gw-moved-away = o gateway redirecionou { $from } para { $to }, que respondeu HTTP { $status } sem corpo de erro de gateway: --api chegou ao gateway, e o redirecionamento dele leva aonde nenhum gateway de passos responde. Avise quem opera o gateway; se os passos se mudaram para lá de vez, tente --api com esse caminho
gw-foreign-list = pediu-se a lista do stepsID { $asked }, e o gateway respondeu a lista do stepsID { $answered }; ela não é mostrada como a deste veículo. O gateway talvez tenha recomeçado este veículo com um stepsID novo: pergunte por carAssociationID (`stepwise steps --car ID`); se persistir, um proxy ou cache entre aqui e o gateway mistura as respostas
gw-foreign-next = pediu-se o próximo passo do stepsID { $asked }, e o gateway respondeu um do stepsID { $answered }; ele não é mostrado como o deste veículo. O gateway talvez tenha recomeçado este veículo com um stepsID novo: pergunte por carAssociationID (`stepwise steps --car ID`); se persistir, um proxy ou cache entre aqui e o gateway mistura as respostas
gw-title-redirect = Redirecionamento não seguido
gw-title-moved-away = Redirecionado para o nada
gw-live-cut = o fluxo ao vivo do gateway foi cortado no meio de um evento. Ele se reconecta sozinho; se isso se repetir, verifique os proxies entre aqui e o gateway
gw-live-not-offered = o gateway agora responde à chamada de eventos como um sem eventos ao vivo (HTTP 404 ou 405, sem código 2346), embora responda às listas: pode ter voltado de um reinício sem eles. Avise o operador do gateway se o acompanhamento ao vivo for esperado
gw-live-cut-direct = o gateway cortou seu fluxo ao vivo no meio de um evento (nenhum proxy é usado aqui). Ele se reconecta sozinho; se isso se repetir, avise quem opera o gateway (ou quem opera um proxy reverso na frente dele)
gw-live-silent = o fluxo ao vivo do gateway não enviou nada por { $secs } s, nem mesmo um sinal de manutenção. Ele se reconecta sozinho; se isso se repetir, verifique a rede
gw-live-silent-no-keepalive = o fluxo ao vivo do gateway enviou seus primeiros eventos e depois nada por { $secs } s, nem mesmo o sinal de manutenção que o contrato pede pelo menos a cada 15 s: o gateway não envia sinais de manutenção, ou um proxy no caminho os retém. Ele se reconecta sozinho, e uma mudança pode aparecer até { $secs } s atrasada; avise quem opera o gateway
gw-live-no-first-event = o fluxo ao vivo do gateway abriu mas não enviou nenhuma lista em { $secs } s (no máximo sinais de manutenção), embora as listas atuais venham de imediato: talvez um proxy o retenha. Ele se reconecta sozinho e depois consulta as listas
gw-live-no-first-event-direct = o fluxo ao vivo do gateway abriu, mas não enviou nenhuma lista em { $secs } s (no máximo sinais de manutenção), embora as listas atuais venham na hora; nenhum proxy é usado aqui, então o gateway, ou um proxy reverso na frente dele, as retém. Ele se reconecta sozinho e depois consulta as listas em vez disso; avise quem opera o gateway
gw-live-other-events = o fluxo ao vivo do gateway enviou eventos do tipo “{ $kind }” e nenhum do tipo steps em { $secs } s: as listas dele chegam com outro tipo de evento que não o do contrato, então nenhuma é lida. Ele se reconecta sozinho e depois consulta as listas no lugar; avise quem opera o gateway que cada lista deve vir como `event: steps` (ou sem linha event)
gw-live-no-list-events = o fluxo ao vivo do gateway enviou só eventos do tipo “{ $kind }”, sem lista neles, e nenhuma lista em { $secs } s, embora as listas atuais venham na hora. Ele se reconecta sozinho e depois consulta as listas no lugar; se isso continuar, avise quem opera o gateway que o fluxo deve enviar cada lista na hora, como `event: steps`
gw-live-not-text = o fluxo ao vivo do gateway não é texto UTF-8. Verifique se --api aponta para um gateway de passos
gw-live-bad-line = o fluxo ao vivo do gateway tem uma linha que não é um campo de evento. Verifique se --api aponta para um gateway de passos
gw-live-lists = o estado ao vivo acompanha de 1 a 200 listas de uma vez, não { $count }
gw-live-said = o fluxo ao vivo do gateway enviou um erro: { $said }. Ele se reconecta sozinho; se isso se repetir, avise o operador do gateway
gw-live-said-cause = o fluxo ao vivo do gateway enviou um erro: { $said }
gw-live-said-no-step = o fluxo ao vivo do gateway diz que este stepsID não tem mais passos: { $said }. Comece de novo com o carAssociationID (o assistente faz isso sozinho)
gw-live-contradicted = o fluxo ao vivo do gateway de { $count } listas disse que um stepsID não tem mais passos ({ $said }), mas cada uma dessas listas responde quando pedida pelo seu stepsID: o gateway se contradiz, e não se sabe qual veículo ele quis dizer. O stepwise passa a acompanhá-las consultando; avise o operador do gateway
gw-live-contradicted-one = o fluxo ao vivo do gateway disse que este stepsID não tem mais passos ({ $said }), mas sua lista responde quando pedida por esse stepsID: o gateway se contradiz. O stepwise passa a acompanhar a lista consultando; avise o operador do gateway
gw-live-contradicted-unsent = { $count ->
    [one] O fluxo não tinha enviado nenhuma lista do stepsID { $ids }: talvez o que ele quis dizer
   *[other] O fluxo não tinha enviado nenhuma lista dos stepsIDs { $ids }: talvez quisesse dizer um deles
}
gw-live-left-out = o fluxo ao vivo do gateway enviou na hora as listas atuais de { $sent } dos seus { $lists } stepsIDs, mas não { $count ->
        [one] a do stepsID { $ids }, que também deve
       *[other] as dos stepsIDs { $ids }, que também deve
    }: um veículo omitido nunca seria acompanhado. Em vez disso, as listas são pedidas; avise quem opera o gateway
gw-live-refused = o gateway recusa seu fluxo ao vivo, mas responde às listas ({ $why }). Em vez disso, as listas são pedidas
gw-live-refused-401-none = o gateway recusa seu fluxo ao vivo sem token (HTTP 401), mas responde às listas sem um: `stepwise login` não encontra nenhum necessário, então nenhum login muda isso. Em vez disso, as listas são pedidas; avise o operador do gateway se o acompanhamento ao vivo for esperado
gw-live-refused-401-sent = o gateway recusa para seu fluxo ao vivo o token que suas listas aceitam (HTTP 401): um novo login dá um igual, então nada muda. Em vez disso, as listas são pedidas; avise o operador do gateway se o acompanhamento ao vivo for esperado
gw-live-closed-soon = o fluxo ao vivo do gateway fechou logo depois de enviar suas listas, { $times } vezes seguidas (cada vez em menos de um minuto): ele não mantém nenhum fluxo aberto, então uma mudança apareceria atrasada. Em vez disso, as listas são pedidas; avise quem opera o gateway
gw-live-page = a chamada de eventos do gateway respondeu com uma página web (HTML) onde vai seu fluxo de eventos: algo na frente do gateway (um proxy, um firewall) pode estar barrando fluxos. As listas são pedidas no lugar; peça a quem opera a rede na frente do gateway para deixar passar text/event-stream, e se nada estiver na frente, avise o operador do gateway
gw-live-page-titled = a chamada de eventos do gateway respondeu com uma página web (HTML, "{ $said }") onde vai seu fluxo de eventos: algo na frente do gateway (um proxy, um firewall) pode estar barrando fluxos. As listas são pedidas no lugar; peça a quem opera a rede na frente do gateway para deixar passar text/event-stream, e se nada estiver na frente, avise o operador do gateway
gw-live-compressed = o fluxo ao vivo do gateway veio compactado ({ $encoding }), embora o stepwise não o peça, então seus bytes não são eventos: o gateway, ou um proxy no caminho, o compacta. As listas são pedidas no lugar; peça ao operador do gateway (ou a quem opera o proxy) que envie text/event-stream sem compactação
gw-live-foreign = o fluxo ao vivo do gateway enviou uma lista do stepsID { $answered }, que não lhe foi pedido, enquanto { $count ->
    [one] a lista pedida responde
   *[other] as { $count } listas pedidas respondem
} quando pedidas por stepsID, então a lista na tela foi mantida como está: avise o operador do gateway (ou quem opera um proxy ou cache no meio)
gw-user-info = a URL do gateway contém um nome de usuário ou senha (user:password@host), que o stepwise não mostra nem envia. Retire-os da URL; o token do gateway vai em --token-file, STEPWISE_TOKEN ou no arquivo de configuração
gw-bad-url = a URL do gateway { $url } não pode ser usada: { $reason }. Informe uma como http://127.0.0.1:8080
url-no-host = não tem host
url-bad-port = a porta não é um número de 1 a 65535
url-bad-ip = o endereço IP não é válido (um endereço IPv6 vai entre colchetes, p. ex. http://[::1]:8080)
url-ipv6-brackets = seu endereço IPv6 não está entre colchetes, então a porta não se distingue dele: escreva-o como http://[::1]:8080
url-port-twice = sua porta está escrita mais de uma vez (um segundo :número depois do host): indique-a uma só vez
url-query = ela contém uma consulta (?…), que o stepwise nunca envia: informe a URL base do gateway sem ela (um token vai em --token-file, STEPWISE_TOKEN ou `stepwise login`)
url-ipv6-zone = seu endereço IPv6 traz uma zona (%eth0), que o host de uma URL não pode trazer aqui: informe o endereço global do gateway ou um nome de host
url-ipv6-unclosed = seu endereço IPv6 abre um colchete [ que nenhum ] fecha: escreva-o como http://[::1]:8080
url-bad-host = o nome de host tem um caractere que nenhum nome de host pode ter (um espaço?)
url-not-absolute = não é uma URL completa
url-not-http = só http:// e https:// são aceitos
gw-bad-path = não foi possível montar a URL de { $path }: { $detail }
gw-bad-token = o token tem caracteres que um cabeçalho não aceita; confira o arquivo do token
gw-http-setup = não foi possível preparar o cliente HTTP: { $detail }
gw-demo-unavailable = não foi possível iniciar o simulador embutido em uma porta local: { $detail }
gw-demo-state = o simulador integrado não pode guardar seu estado em { $folder }: { $detail }. Isso deve ser uma pasta onde este usuário possa escrever: corrija ou remova o que atrapalha, ou informe um gateway em --api
gw-demo-state-file = o simulador embutido não consegue salvar seu estado em { $file }: { $detail }. Esse arquivo e sua pasta devem poder ser gravados por este usuário (sem disco cheio, sem arquivo somente leitura ou bloqueado): corrija isso, ou dê a --api um gateway. Nenhum gateway é o culpado: não há nenhum
gw-400 = o gateway recusou a solicitação como malformada
gw-400-todo = Confira o id digitado; se estiver certo, reporte o erro
gw-400-said-todo = As palavras dele dizem o que recusou (o id foi conferido antes do envio). Se citam um cabeçalho ou parâmetro, algo no caminho (um proxy) pode alterar as requisições: avise quem administra a rede; senão, relate um bug
gw-400-filter-todo = Suas palavras citam o filtro de status (stepsStatus): este gateway não o aceita. Liste sem ele (sem --status; no assistente, f até o filtro ficar em todos), e avise quem opera o gateway se precisar dele
gw-400-filter-unchosen-todo = Suas palavras citam o filtro de status (stepsStatus), embora nenhum tenha sido escolhido: o stepwise pede todos os passos (stepsStatus=all, o padrão do contrato, e depois sem stepsStatus), e nada escolhido aqui muda isso. Avise quem opera o gateway que esta chamada é recusada
gw-400-id-todo = As palavras dele citam o id: o gateway não aceita o informado (a regra dele para ids pode ser mais estrita que letras a–z, A–Z, dígitos, - e _). Confira o id com a conta do cliente
gw-400-coded = o gateway recusou a solicitação com um código do aplicativo
gw-400-coded-todo = A seguir, o que o código significa e o que o resolve
gw-401 = o gateway quer um token válido
gw-401-todo = Faça login com `stepwise login`, ou informe um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-403 = este stepsID pertence a outro dispositivo
gw-403-todo = Recomece com o carAssociationID
gw-403-refused = o gateway recusa esta requisição
gw-403-refused-todo = As palavras dele dizem por quê (uma conta ou um veículo que ele não permite); confira o carAssociationID com a conta do cliente, ou pergunte a quem administra o gateway
gw-404 = o gateway não conhece este id
gw-404-todo = Confira o carAssociationID ou o stepsID e tente de novo
gw-404-steps-id = o gateway não tem nenhum passo para este stepsID: não o conhece, ou o esqueceu
gw-404-steps-id-todo = Peça a lista de novo pelo carAssociationID (`stepwise steps --car ID`): ela dá o stepsID atual do veículo
gw-404-unnamed = nada foi encontrado para esta chamada neste endereço: um id que o gateway não conhece, ou um caminho que nada atende ali
gw-404-unnamed-todo = Confira o carAssociationID ou o stepsID; se todo id recebe esta resposta, --api não aponta para o gateway de passos (o 404 de um roteador): confira --api
gw-404-call = o gateway recusou a chamada do próximo passo, sem o código 2346 (a marca dele de um stepsID que não conhece)
gw-call-not-served = o gateway não atende a chamada do próximo passo (um método ou uma chamada que ele não oferece), seja qual for o stepsID
gw-404-call-todo = Se `stepwise steps --steps-id ID` mostra os passos deste veículo, o id está certo e o gateway não oferece a chamada do próximo passo, ou algo na frente dele não a encaminha: avise o operador do gateway. Essa lista também mostra o próximo passo (marcado NEXT)
gw-404-no-steps = o gateway não tem passos para este carAssociationID
gw-404-no-steps-todo = Confira o carAssociationID; se estiver certo, este veículo não tem passos de ativação de serviços neste gateway: pergunte o motivo a quem o administra
gw-409 = o gateway recusou: um passo anterior não está feito
gw-409-todo = Conclua antes os passos anteriores
gw-429 = o gateway está limitando as solicitações
gw-408 = o gateway, ou algo na frente dele, desistiu de esperar a requisição inteira (uma conexão lenta ou interrompida), o que não é uma recusa
gw-408-todo = Tente de novo; se persistir, avise o operador do gateway (ou quem opera a rede na frente dele)
gw-429-todo = Espere um minuto e tente de novo
gw-429-todo-past = Ele ainda limita depois da espera que seu Retry-After pediu (o stepwise esperou e perguntou de novo): espere um minuto e tente de novo; se continuar, avise quem opera o gateway
gw-429-todo-after = Espere { $secs } s (o Retry-After da resposta) e tente de novo
gw-429-todo-absurd = Ele pede para esperar { $wait } (o Retry-After dele), o que nenhum limite de requisições exige: o relógio ou a configuração dele está errado. Avise o operador do gateway
gw-5xx = o gateway falhou
gw-proxy-5xx = o proxy respondeu com a própria página de erro (o gateway talvez não tenha sido alcançado)
gw-5xx-todo = Tente de novo em um minuto; se persistir, avise quem opera o gateway
gw-5xx-todo-after = Tente de novo em { $secs } s (o Retry-After da resposta); se persistir, avise quem opera o gateway
gw-5xx-todo-absurd = Ele pede para esperar { $wait } (seu Retry-After), o que nenhum reinício exige: seu relógio ou sua configuração está errada. Tente de novo em um minuto; se persistir, avise o operador do gateway
gw-other = o gateway recusou a solicitação
gw-3xx = nenhuma lista voltou: um redirecionamento sem endereço utilizável, ou um "não modificado" de um cache a uma requisição que não pedia isso
gw-3xx-todo = Algo entre aqui e o gateway (um proxy, um cache), ou o gateway, está mal configurado: confira --api, e avise quem administra a rede ou o gateway
gw-other-todo = Confira --api e tente de novo
gw-other-said-todo = As palavras dele dizem por quê; se não ajudarem, avise quem administra o gateway
gw-reset-refused = o gateway recusou a redefinição do cache de passos
gw-reset-refused-todo = Redefinir de novo não vai ajudar. As palavras dele dizem por quê: se disserem que a conta ou o dispositivo está bloqueado, remova todos os cadastros da conta do cliente e comece de novo; senão, avise quem opera o gateway
gw-reset-refused-conflict-todo = Um conflito (HTTP 409) pode significar que já há uma redefinição ou uma mudança em andamento para este veículo: espere um momento e redefina de novo; se persistir, avise o operador do gateway
gw-reset-refused-call-todo = HTTP { $status } não diz que a conta ou o dispositivo está bloqueado: o gateway, ou algo na frente dele, não aceitou a chamada como foi enviada. Verifique --api; se estiver certo, avise o operador do gateway, com as palavras dele
gw-app-code = Código do aplicativo { $code }: { $meaning }; { $remedy }
gw-app-code-meaning = Código do aplicativo { $code }: { $meaning }.
gw-code = código { $code }
gw-title-redirects = Redirecionamento em círculo
steps-many-summary-late = sem lista em { $secs } s (sem resposta, ou ainda não consultado: o stderr diz qual): { $n } ({ $ids })
steps-many-summary-failed = com falha: { $n } ({ $ids }), as causas estão no stderr
steps-many-summary = Veículos listados: { $listed } de { $total }
cli-shared-steps-id = um mesmo stepsID ({ $id }) veio para { $count } veículos ({ $cars }). Um stepsID pertence a um só veículo: um proxy ou cache entre aqui e o gateway (que ignora a consulta), ou o próprio gateway, mistura as respostas, então estas listas podem ser de outro veículo. Não confie nelas; avise o operador do gateway (e o administrador da rede, onde houver um proxy configurado)
steps-many-late = sem resposta dentro do prazo de { $secs } s (--deadline); talvez responda numa próxima execução
steps-many-unsent = não consultado antes do prazo de { $secs } s (--deadline): esperava a sua vez, pois os veículos são consultados poucos de cada vez (--concurrency). Informe um --deadline maior ou um --concurrency maior
steps-many-unsent-hung = não consultado antes do prazo de { $secs } s (--deadline): os veículos consultados antes não tiveram resposta (o gateway está ocupado ou travado), então um --deadline maior ou um --concurrency maior só manda mais pedidos para a mesma espera. Rode de novo quando o gateway responder (`stepwise doctor` verifica); se continuar assim, avise quem opera o gateway
steps-many-limited = o gateway continuou limitando as requisições (HTTP 429) até o prazo de { $secs } s (--deadline): respondeu, mas pediu para esperar. Se a espera pedida (dita em stderr) for maior que { $secs } s, dê um --deadline maior que essa espera; se não, ele continua limitando este cliente: tente mais tarde, ou pergunte ao operador do gateway sobre o limite
steps-many-limited-longer = o gateway limitou as requisições (HTTP 429) até o prazo de { $secs } s (--deadline): pediu para esperar { $wait } s, mais que o prazo. Dê um --deadline acima de { $wait } s, ou rode de novo depois dessa espera
steps-many-limited-again = o gateway continuou limitando as requisições (HTTP 429) até o prazo de { $secs } s (--deadline): depois dos { $wait } s de espera que pediu, limitou-as de novo. Ele continua limitando este cliente: tente mais tarde, ou pergunte ao operador do gateway sobre o limite
steps-many-held-unsent = não consultado: o limite do gateway (HTTP 429, respondido a outra requisição) segurou cada requisição até o prazo de { $secs } s (--deadline). Se a espera pedida (dita no stderr) for maior que { $secs } s, informe um --deadline maior que essa espera; se não, ele continua limitando este cliente: tente mais tarde, ou pergunte ao operador do gateway sobre o limite
steps-many-retry-held = A nova tentativa foi então retida pelo limite do gateway (HTTP 429, pedido a outra requisição) até o prazo de { $secs } s (--deadline).
steps-many-paused = O limite do gateway (HTTP 429, pedido a outra requisição) retém toda requisição por mais { $secs } s: tente de novo depois disso.
steps-many-summary-limited = retidos por HTTP 429 até { $secs } s: { $n } ({ $ids })
steps-many-summary-shared = sob um stepsID com que também veio a lista de outro veículo, não confiáveis (o stderr diz por quê): { $n } ({ $ids })
gw-title-token-refused = Token recusado
gw-title-scope = Falta um escopo
gw-title-proxy = Resposta do proxy
gw-title-proxy-unreachable = Proxy inacessível
gw-title-not-a-gateway = Não é um gateway de passos
gw-title-no-list-here = Sem lista para este id
gw-title-call-not-offered = Chamada não oferecida
gw-title-refused = Acesso recusado
gw-title-captive-portal = É preciso entrar na rede
gw-connect-timed-out = nenhuma conexão com { $base } em { $secs } s: ninguém a aceitou (o servidor está sobrecarregado, ou um firewall descarta os pacotes). Confira a rede e --api, e tente de novo
gw-redirects = o gateway em { $base } redireciona em círculo, ou vezes demais. Confira --api (o endereço pode ter mudado); se estiver certo, avise quem opera o gateway
gw-wants-tls = o servidor em { $base } fala TLS, mas --api diz http://. Use https:// em --api
gw-port-plain-http = o servidor em { $base } fala HTTP simples, não TLS, mas --api diz https://. Use http:// em --api, ou a porta onde ele serve HTTPS
gw-port-not-http = o servidor em { $base } não fala HTTP nem TLS (começou com "{ $said }"): a porta em --api é de outro serviço. Confira a porta
gw-port-not-http-here = o servidor em { $base } respondeu a esta requisição com algo que não é HTTP nem TLS: um servidor com defeito, ou não é o gateway. Confira --api
gw-port-tls-closed = o servidor em { $base } aceitou a conexão e a fechou durante o handshake TLS: talvez não fale TLS nesta porta, ou recuse este cliente. Confira a porta em --api; `stepwise doctor` diz mais
gw-port-tls-silent = o servidor em { $base } aceitou a conexão mas não fez handshake TLS em { $secs } s: talvez a porta não fale TLS, ou o servidor travou. Confira a porta em --api; se estiver certa, avise quem administra o gateway
gw-401-login = HTTP 401: o gateway recusou o token do login guardado por `stepwise login`. Entre de novo com `stepwise login`; num gateway de token fixo, guarde o atual com `stepwise login --with-token`
gw-token-dropped = HTTP 401: o gateway responde como se nenhum token tivesse chegado (seu desafio não nomeia nenhum erro), embora o token informado via { $from } tenha saído pelo proxy { $proxy }: o proxy pode estar removendo o cabeçalho Authorization, então qualquer token seria recusado do mesmo jeito. Defina NO_PROXY={ $host } se o gateway for acessível sem o proxy, ou peça a quem opera o proxy para deixar passar o cabeçalho Authorization
gw-401-login-expired = HTTP 401: o token do login guardado por `stepwise login` expirou há { $ago }, e o provedor de identidade não deu nenhum token de atualização para renová-lo: por isso o gateway o recusa. Entre de novo com `stepwise login`
gw-401-login-no-signin = HTTP 401: o gateway recusou o token guardado com `stepwise login --with-token`. Ele não oferece login: seu token vem de quem o administra. Peça o token atual e guarde-o com `stepwise login --with-token`
gw-401-config = HTTP 401: o gateway recusou o token do arquivo de configuração (`token` ou `token_file`). Coloque lá o token atual deste gateway, ou remova-o e entre com `stepwise login`
gw-401-environment = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN. Defina-a com o token atual deste gateway, ou remova-a e entre com `stepwise login`
gw-401-environment-login-kept = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN, que tem prioridade sobre o login guardado para este gateway. Remova STEPWISE_TOKEN para usar esse login (o gateway acabou de aceitá-lo), ou defina-a com o token atual deste gateway
gw-401-environment-login-refused = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN, e também o login guardado para este gateway (testado agora). Defina STEPWISE_TOKEN com o token atual deste gateway; o login guardado também precisa ser renovado (`stepwise login`, ou `stepwise login --with-token` onde o gateway não oferece login)
gw-401-token-file = HTTP 401: o gateway recusou o token de --token-file. Coloque nesse arquivo o token atual deste gateway, ou tire --token-file e entre com `stepwise login`
gw-401-token-file-login-kept = HTTP 401: o gateway recusou o token de --token-file, que tem prioridade sobre o login guardado para este gateway. Tire --token-file para usar esse login (o gateway acabou de aceitá-lo), ou coloque nesse arquivo o token atual deste gateway
gw-401-token-file-login-refused = HTTP 401: o gateway recusou o token de --token-file, e também o login guardado para este gateway (testado agora). Coloque nesse arquivo o token atual deste gateway; o login guardado também precisa ser renovado (`stepwise login`, ou `stepwise login --with-token` onde o gateway não oferece login)
gw-401-none = HTTP 401: o gateway quer um token, e nenhum foi enviado. Entre com `stepwise login`, ou informe um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-401-expired = O token venceu há { $ago }, pela validade escrita nele: por isso é recusado
gw-401-said = O gateway diz: "{ $said }"
gw-401-none-no-signin = HTTP 401: o gateway quer um token e nenhum foi enviado. Ele não oferece login: seu token vem de quem o administra. Guarde esse token com `stepwise login --with-token`, ou passe-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-404-demo = HTTP 404: o backend de demonstração não conhece este id{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no arquivo de configuração), então a demo embutida respondeu, e ela conhece só { $ids }. Para consultar o seu gateway, informe --api URL
gw-404-demo-steps-id = HTTP 404: o backend de demonstração não conhece este stepsID{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no arquivo de configuração), então a demo embutida respondeu. Os stepsIDs dela vêm com uma lista pedida por carAssociationID (ela conhece { $ids }): `stepwise steps --car ID` dá um. Para consultar o seu gateway, informe --api URL
gw-404-demo-wizard = HTTP 404: o backend de demonstração não conhece este id{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no arquivo de configuração), então a demo embutida respondeu; a tela inicial oferece os ids que ela conhece. Para consultar o seu gateway, saia e comece de novo com --api URL
gw-404-demo-board = HTTP 404: o backend de demonstração não conhece este id{ $said }. Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no arquivo de configuração), então a demo embutida respondeu, e ela só conhece os próprios veículos (`stepwise demo --board` abre um painel com todos). Para consultar o seu gateway, saia e comece de novo com --api URL
gw-404-demo-command = HTTP 404: o backend de demonstração não conhece este id{ $said }. `stepwise demo` sempre roda na demonstração embutida, que só conhece os próprios ids (os que ela oferece). Para perguntar ao seu gateway, saia e rode `stepwise --api URL --car ID`, ou `stepwise fleet --api URL --cars ARQUIVO` para um painel
gw-401-login-unreadable = HTTP 401: o gateway quer um token, e nenhum foi enviado: os logins guardados por `stepwise login` não puderam ser lidos: { $why }. Ou informe um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-401-login-damaged = HTTP 401: o gateway quer um token, e nenhum foi enviado: { $why }, e depois execute `stepwise login` para fazer login de novo. Ou informe um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
gw-401-config-no-signin = HTTP 401: o gateway recusou o token do arquivo de configuração (`token` ou `token_file`). Ele não oferece login: seu token vem de quem o administra. Coloque lá o token atual deste gateway
gw-401-environment-no-signin = HTTP 401: o gateway recusou o token em STEPWISE_TOKEN. Ele não oferece login: seu token vem de quem o administra. Defina STEPWISE_TOKEN com o token atual deste gateway
gw-401-token-file-no-signin = HTTP 401: o gateway recusou o token de --token-file. Ele não oferece login: seu token vem de quem o administra. Coloque nesse arquivo o token atual deste gateway
gw-proxy-other-todo = Confira { $from } (a variável do proxy em uso), defina NO_PROXY para o host do gateway se ele for alcançável sem o proxy, ou pergunte a quem opera o proxy
gw-proxy-429-todo = O proxy está limitando as requisições: espere alguns minutos (seu Retry-After, se deu um) e tente de novo; se continuar, pergunte a quem opera o proxy
gw-proxy-429-wait-todo = O proxy está limitando os pedidos e pede para esperar { $secs } s: tente de novo depois disso; se continuar, pergunte a quem opera o proxy
gw-proxy-unset-407 = um proxy desta rede respondeu ele mesmo HTTP { $status }{ $said }, embora nenhum esteja configurado aqui, então a requisição nunca chegou ao gateway. Defina HTTPS_PROXY (HTTP_PROXY para um gateway http://) como http://usuario:senha@proxy:porta com o endereço desse proxy, ou pergunte ao administrador da rede
gw-proxy-unreachable = não foi possível conectar ao proxy { $proxy } (de { $from }): { $detail }. O gateway não chegou a ser consultado. Confira a variável do proxy, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-proxy-silent = o proxy { $proxy } (de { $from }) não abriu caminho até { $host } em { $secs } s: não aceitou a conexão, ou aceitou e nunca respondeu. O gateway não foi consultado. Confira se o proxy está rodando e se a variável de proxy aponta para ele, pergunte a quem opera o proxy, ou defina NO_PROXY={ $host } se o gateway for acessível sem o proxy
gw-proxy-tunnel = o proxy { $proxy } (de { $from }) não abriu um túnel (CONNECT) para { $host }: a requisição nunca chegou ao gateway; ele recusa este host e esta porta, ou não conseguiu alcançar o gateway (fora do ar, ou um nome que o proxy não conhece). Confira se o gateway está no ar e se o host em --api está certo, pergunte a quem opera o proxy se ele deixa passar este host e esta porta, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-proxy-no-tunnel = o que { $from } indica, { $proxy }, respondeu HTTP { $status } ao CONNECT: não abre túnel nenhum, então é um servidor web, ou um proxy que não consegue levar https://. O gateway não foi consultado. Confira { $from }: deve indicar um proxy HTTP que faça túnel de https (muitas vezes porta 3128 ou 8080)
gw-proxy-tunnel-closed = o proxy { $proxy } (de { $from }) abriu um túnel para { $host }, que depois foi fechado durante o handshake TLS: o proxy, ou o que está atrás dele, o cortou. Pergunte a quem administra o proxy se ele deixa passar TLS para este host, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
tls-or-plain-http = Ou o gateway na ponta fala HTTP simples nessa porta, enquanto --api diz https://: então use http:// em --api (`stepwise doctor` sem o proxy, NO_PROXY={ $host }, diz qual)
gw-proxy-garbled = o que voltou pelo proxy { $proxy } (de { $from }) não é HTTP: a variável do proxy talvez aponte para algo que não é um proxy HTTP, ou o proxy está com defeito. Confira a variável do proxy, pergunte a quem administra o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-proxy-empty = a resposta que veio pelo proxy { $proxy } (de { $from }) está vazia, onde se esperava uma lista de etapas JSON: o proxy talvez tenha respondido por conta própria, ou repassado uma resposta vazia. Confira a variável do proxy, pergunte a quem administra o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-proxy-html = o que veio pelo proxy { $proxy } (de { $from }) é uma página HTML, onde se esperava uma lista de etapas JSON: a página do próprio proxy (uma página de login ou portal), ou um servidor web em --api. Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; senão, confira se --api aponta para um gateway de passos
gw-proxy-no-list = o que veio pelo proxy { $proxy } (de { $from }) não é uma lista de etapas: { $why }. O proxy pode ter respondido ele mesmo, ou o que responde em --api não é um gateway de passos. Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; se listas já vieram deste --api, pergunte a quem opera o proxy o que ele respondeu; se não, confira se --api aponta para um gateway de passos
gw-proxy-too-large = o que veio pelo proxy { $proxy } (de { $from }) passa de { $kib } KiB e não foi lido além disso: nenhuma lista de etapas é tão grande. O proxy pode ter respondido ele mesmo, ou o que responde em --api não é um gateway de passos. Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; se listas já vieram deste --api, pergunte a quem opera o proxy o que ele respondeu; se não, confira se --api aponta para um gateway de passos
gw-proxy-closed = o proxy { $proxy } (de { $from }) fechou a conexão sem resposta: não se sabe se o gateway foi consultado. Tente de novo; se persistir, pergunte a quem administra o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
gw-proxy-connect-closed = o proxy { $proxy } (de { $from }) fechou a conexão sem responder ao pedido de túnel (CONNECT) para { $host }, então o gateway não foi consultado. Tente de novo; se persistir, pergunte a quem administra o proxy se ele deixa passar este host, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-proxy-5xx-todo = O proxy não repassou este pedido. Se nada passa por ele até este --api, confira se o gateway está rodando e se --api está certo; se outros pedidos passam (listas de outros veículos), o proxy falha neste: pergunte a quem o opera
gw-proxy-5xx-wait-todo = O proxy não repassou esta requisição, e pede para esperar { $secs } s (seu Retry-After): tente de novo depois disso. Se nada passa por ele até esta --api, verifique se o gateway está rodando e se --api está certa; se outras requisições passam (listas de outros veículos), o proxy falha nesta: pergunte a quem o opera
gw-proxy-loopback = o gateway está nesta máquina ({ $host }), mas { $from } envia as requisições dele ao proxy { $proxy }, que respondeu ele mesmo HTTP { $status }: a requisição nunca chegou ao gateway. O proxy (ou um para o qual ele encaminha) não alcança os endereços próprios desta máquina: defina NO_PROXY={ $host } e tente de novo
gw-proxy-loopback-tunnel = o gateway está nesta máquina ({ $host }), mas { $from } envia as requisições dele ao proxy { $proxy }, que não abriu um túnel (CONNECT) até ele: a requisição nunca chegou ao gateway. O proxy (ou um para o qual ele encaminha) não alcança os endereços próprios desta máquina: defina NO_PROXY={ $host } e tente de novo
gw-proxy-loopback-down = nada escuta em { $host }:{ $port }, o endereço do gateway nesta máquina (tentado diretamente): o gateway não está rodando ali, então o proxy { $proxy } (de { $from }) também não pôde alcançá-lo. Confira se o gateway está rodando e se a porta em --api está certa
gw-proxy-refused-todo = O proxy recusou o usuário e a senha: confira-os na variável do proxy (http://usuario:senha@proxy:porta), ou pergunte a quem opera o proxy
gw-proxy-401-basic-todo = Ele pede um usuário e uma senha (Basic) com HTTP 401. Um proxy que pede assim (o tinyproxy pede) os toma da variável do proxy (http://user:password@proxy:port); o login de um servidor web atrás do proxy não toma nenhum dela, e o stepwise não consegue respondê-lo: então pergunte a quem o administra, ou defina NO_PROXY para o host do gateway se ele puder ser alcançado diretamente
gw-proxy-401-basic-refused-todo = Ele pede um usuário e uma senha (Basic) com HTTP 401 embora a variável do proxy traga alguns: o proxy os recusou (verifique-os, com caracteres como @ ou : codificados em porcentagem), ou o login é de um servidor web atrás do proxy, que não toma nenhum da variável do proxy e que o stepwise não consegue responder. Pergunte a quem administra o proxy, ou defina NO_PROXY para o host do gateway se ele puder ser alcançado diretamente
gw-proxy-portal-todo = O proxy, ou um portal à frente dele, pede um login próprio (o de um portal, ou um esquema diferente de Basic), que nenhum usuário e senha na variável do proxy responde: faça login nele num navegador nesta máquina, ou pergunte a quem administra o proxy; ou defina NO_PROXY para o host do gateway se ele puder ser alcançado diretamente
gw-proxy-forbidden-todo = O proxy recusa esta requisição pelas próprias regras (este endereço, ou este cliente): peça a quem administra o proxy que deixe passar o endereço do gateway, ou defina NO_PROXY para o host do gateway se ele puder ser alcançado sem o proxy
gw-proxy-credentials-refused = o proxy { $proxy } (de { $from }) recusou o usuário e a senha da variável de proxy (HTTP 407), então a requisição nunca chegou ao gateway. Confira-os (http://usuario:senha@proxy:porta, com caracteres como @ ou : codificados em porcentagem), ou pergunte a quem opera o proxy
gw-proxy-407-todo = O proxy quer usuário e senha: coloque-os na variável do proxy (http://usuario:senha@proxy:porta), ou defina NO_PROXY para o host do gateway se ele puder ser alcançado diretamente
gw-proxy-windows-todo = O proxy pede login do Windows (Negotiate ou NTLM), que o stepwise não consegue dar: nenhum usuário e senha na variável do proxy o responde. Peça a quem administra o proxy que deixe passar o endereço do gateway sem ele (ou que ofereça Basic), ou defina NO_PROXY para o host do gateway se ele puder ser alcançado diretamente
gw-proxy = o proxy { $proxy } (de { $from }) respondeu ele mesmo HTTP { $status }{ $said }: a requisição nunca chegou ao gateway. { $todo }
gw-not-a-gateway = { $base } respondeu HTTP { $status } sem o corpo de erro de um gateway: este endereço não é um gateway de passos (um caminho errado em --api, ou outro servidor web). Dê a --api a URL base sob a qual fica pims/subscription/steps, como https://gateway.example/ ou https://host/prefixo/
gw-not-a-gateway-listed = { $base } respondeu HTTP { $status } sem o corpo de erro de um gateway, embora listas de outros veículos tenham vindo deste endereço nesta execução: o --api está certo, e o gateway muito provavelmente não conhece este id. Verifique o id; se estiver certo, avise quem opera o gateway (uma rota na frente dele pode recusar este único pedido)
gw-not-a-gateway-proxy = { $base } respondeu HTTP { $status } através do proxy { $proxy }, sem o corpo de erro de um gateway: a página do próprio proxy (um nome de host que ele não conseguiu resolver ou alcançar), ou um endereço que não é um gateway de passos. Confira o nome de host em --api, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy; se o host estiver certo, dê a --api a URL base sob a qual fica pims/subscription/steps, como https://gateway.example/
gw-call-not-offered = { $base } respondeu HTTP { $status } sem corpo de erro de gateway à chamada { $call }. Se a lista por carAssociationID funciona neste endereço (`stepwise steps --car ID`), --api está certo e o gateway não oferece esta chamada, ou algo na frente dele não a encaminha: avise o operador do gateway. Se não, --api não é a URL base de um gateway de passos: dê a que fica acima de pims/subscription/steps, como https://gateway.example/
gw-not-a-gateway-path = { $base } respondeu HTTP { $status }: --api contém o caminho da chamada ({ $path }), que o stepwise acrescenta sozinho. Dê a --api o endereço anterior: { $suggested }
gw-basic-prompt = { $base } pede usuário e senha (HTTP 401, Basic): o login de um servidor web ou de um proxy reverso, que o stepwise não pode responder; um gateway de passos aceita um token bearer. Confira --api, ou peça a quem opera esse servidor para deixar passar as requisições ao gateway
gw-windows-prompt = { $base } pede o login do Windows (HTTP 401, Negotiate ou NTLM): o login de um servidor web ou de um proxy reverso, que o stepwise não pode atender; um gateway de passos aceita um token bearer. Confira --api, ou peça a quem gerencia esse servidor que deixe passar as requisições ao gateway
gw-refused = { $base } respondeu HTTP { $status }{ $said }{ $via } sem corpo de erro no formato do contrato do gateway: tomado como acesso recusado por algo na frente do gateway (um firewall, um firewall de aplicação ou um proxy reverso), não como um stepsID recusado. Confira o token e as permissões dele; se estiverem certos, pergunte a quem opera a rede se ela bloqueia este endereço
gw-refused-no-token = { $base } respondeu HTTP { $status }{ $said }{ $via } sem corpo de erro no formato do contrato do gateway: tomado como acesso recusado por algo na frente do gateway (um firewall, um firewall de aplicação ou um proxy reverso), não como um stepsID recusado. Nenhum token foi enviado. Onde nenhum veículo recebe sua lista deste gateway sem token, o gateway talvez queira um: informe-o (--token-file CAMINHO, STEPWISE_TOKEN, `stepwise login` ou, onde o gateway não oferece login, `stepwise login --with-token`). Onde outros veículos recebem suas listas deste gateway sem token, não falta nenhum: pergunte a quem opera a rede ou o gateway por que a chamada deste veículo é bloqueada
gw-refused-via-proxy = { $base } respondeu HTTP { $status }{ $said } através do proxy { $proxy }, sem o corpo de erro de um gateway: o proxy, ou algo à frente do gateway, recusou a requisição. Pergunte a quem administra o proxy se ele deixa passar este endereço, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-401-via-proxy = { $base } respondeu HTTP 401{ $said } pelo proxy { $proxy }, uma página web, não o corpo de erro de um gateway: o proxy, um portal na frente dele, ou algo na frente do gateway (um proxy reverso, um servidor web) pede um login próprio, que nenhum token do gateway responde. Faça login nele em um navegador nesta máquina, ou pergunte a quem opera o proxy e o gateway; ou defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy
gw-401-bare-through-proxy = Esta resposta veio pelo proxy { $proxy } (de { $from }) como um HTTP 401 vazio, sem corpo e sem desafio, que o próprio proxy pode ter dado: se um token não passar dele, pergunte a quem opera o proxy se ele pede um login próprio, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado diretamente
gw-front-400 = { $base } respondeu HTTP { $status }{ $said }{ $via } com uma página web, sem o corpo de erro de um gateway: algo na frente do gateway (um proxy reverso ou um firewall de aplicação web) recusou a requisição, então o gateway nunca agiu sobre ela. O id não é a causa (o stepwise o verifica antes de enviar), e --api está certo se já vieram listas dele: pergunte a quem opera esse endereço o que a página significa
gw-front-401 = { $base } respondeu HTTP 401{ $said } com uma página web e sem desafio de login (sem cabeçalho WWW-Authenticate), onde um gateway de passos responde com seu corpo de erro e diz como quer seu token: algo na frente do gateway (um proxy reverso, um servidor web ou um portal) pede um login próprio. Se listas vieram deste endereço sem token antes, nenhum token do gateway está faltando: pergunte a quem opera a rede ou o gateway o que pede este login; caso contrário, pergunte a eles se o gateway quer um token ali
gw-title-unreachable = Gateway inacessível
gw-title-timed-out = Gateway sem resposta
gw-title-timed-out-proxy = Sem resposta pelo proxy
gw-title-bad-request = Solicitação recusada
gw-title-unauthorized = Token necessário
gw-title-wrong-device = stepsID de outro dispositivo
gw-title-forbidden = Recusado pelo gateway
gw-title-not-found = Id desconhecido
gw-title-no-steps = Sem passos
gw-title-conflict = Fora de ordem
gw-title-reset-refused = Redefinição recusada
gw-title-too-many = Solicitações demais
gw-title-server-failure = Falha do gateway
gw-title-failed = Solicitação falhou
gw-title-too-large = Resposta grande demais
gw-title-bad-answer = Resposta inutilizável
gw-title-config = Configuração incorreta

## The guidance pages the customer's phone opens

page-kicker = Ativar seus serviços conectados: um passo
page-errors = Códigos que o aplicativo pode mostrar neste passo
page-footer = Mostrado pela sua concessionária com stepwise
page-does = O que fazer:
page-needs = O que você precisa:
page-errors-hint = Se o aplicativo mostrar um destes códigos, informe a sua concessionária: ela sabe o que fazer.
page-unknown-purpose = A ferramenta da sua concessionária não tem instruções para este passo.
page-unknown-does =
    Abra o aplicativo e siga o que ele pedir para este passo.
    Se o aplicativo mostrar um código de erro, anote-o e mostre-o à sua concessionária.
page-step-deviceActivation-purpose = Registra este telefone para a autenticação forte: o telefone é o que você tem, o código PIN o que você sabe.
page-step-mediumCarKey-purpose = Comprova que você tem mesmo as chaves do veículo. Só precisa ser feita uma vez.
page-step-trusterPhoneNumber-needs =
    O telefone cujo número será confiável, ligado e capaz de receber SMS
    O aplicativo móvel do veículo, com a sua conta conectada
page-step-deviceActivation-needs =
    O telefone a ativar, com o número confiável capaz de receber SMS
    O seu código PIN, se já tiver um, ou um novo que você vá lembrar
    Uma conexão de dados funcionando no telefone
page-step-mediumCarKey-needs =
    O telefone já pareado com o veículo por Bluetooth
    As chaves do veículo, com você dentro do veículo
    Localização e Bluetooth ligados nos ajustes do telefone

gw-title-tls = Falha na conexão segura
gw-title-live = Fluxo ao vivo com falha
gw-title-live-contradicted = Fluxo ao vivo contradiz as listas
gw-title-live-left-out = O fluxo ao vivo omite listas
gw-title-live-refused = Fluxo ao vivo recusado
gw-title-live-not-offered = Fluxo ao vivo não mais oferecido
gw-title-live-page = Fluxo ao vivo respondido por uma página web
gw-title-live-compressed = Fluxo ao vivo compactado
gw-title-token-dropped = Token perdido no caminho

## A TLS connection that failed, named; { $via } is empty or names the proxy

tls-via-proxy = { " " }(pelo proxy { $proxy })
tls-unknown-issuer = o gateway em { $base }{ $via } apresentou um certificado de um emissor desconhecido (uma autoridade privada, ou um proxy que inspeciona o TLS). Confie nessa autoridade com --ca-file ARQUIVO (o certificado dela, PEM), ou STEPWISE_CA_FILE; se um já foi dado, não é a autoridade que assinou este certificado (um certificado de servidor em vez da autoridade dele, ou uma autoridade gerada de novo desde então): use o certificado atual da autoridade do gateway. Ou o gateway não envia a autoridade intermediária que liga o certificado a essa autoridade (stepwise doctor diz)
tls-expired = o certificado do gateway em { $base } expirou. Confira a data deste computador; se estiver certa, avise quem opera o gateway
tls-not-yet-valid = o certificado do gateway em { $base } ainda não é válido. Confira a data e a hora deste computador; se estiverem certas, avise quem opera o gateway
tls-wrong-host = o certificado do gateway em { $base } não foi feito para { $host }. Use em --api o nome de host ou o endereço para o qual o certificado foi emitido
tls-wrong-host-names = o certificado do gateway em { $base } foi feito para { $names }, não para { $host }. Use um deles em --api, ou peça um certificado do gateway feito para { $host }
tls-no-host-names = o certificado do gateway em { $base } não nomeia nenhum host (sem nome alternativo do titular; o TLS não lê mais só o nome comum). Nenhum --api resolve: peça a reemissão do certificado com o nome de host como nome alternativo do titular
tls-old-version = o certificado do gateway em { $base } é um certificado X.509 versão 1, que o TLS não aceita mais. Nenhum --api, --ca-file ou certificado de cliente resolve: peça o certificado reemitido na versão 3, com o nome de host como nome alternativo do sujeito
tls-certificate-required = o gateway em { $base } exige um certificado de cliente. Informe um com --client-cert ARQUIVO --client-key ARQUIVO
tls-client-refused = o gateway em { $base } recusou o certificado de cliente ({ $alert }). Use um certificado emitido pela autoridade em que o gateway confia; `stepwise doctor` também confere as datas dele
tls-client-expired = o gateway em { $base } diz que o certificado de cliente venceu. Peça um novo a quem o emitiu (--client-cert, --client-key) e confira a data deste computador
tls-client-unsupported = o gateway em { $base } recusou o certificado de cliente como não suportado: quase sempre ele não foi feito para um cliente (o certificado de um servidor, cujo uso de chave não inclui autenticação de cliente). Use um certificado emitido para autenticação de cliente (--client-cert, --client-key)
tls-authority-as-server = o gateway em { $base } apresenta o certificado de uma autoridade (CA:TRUE) como seu próprio certificado de servidor, o que o TLS não aceita. Peça a quem opera o gateway para usar um certificado de servidor assinado por essa autoridade; o certificado da autoridade é o que vai em --ca-file
tls-handshake-refused = o gateway em { $base }{ $via } recusou o handshake TLS ({ $alert }). Confira --api; se estiver certo, avise quem opera o gateway
tls-not-tls = o servidor em { $base }{ $via } não fala TLS. Confira a porta, ou use http:// se o gateway não tiver TLS
tls-not-tls-proxy = pelo proxy { $proxy }, o que voltou para { $base } não é TLS: o proxy, ou um filtro atrás dele, respondeu no lugar do gateway (uma página de bloqueio, uma inspeção). Pergunte a quem administra o proxy se ele deixa passar TLS para este host, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
tls-other = a conexão TLS com o gateway em { $base }{ $via } falhou: { $what }. Confira --api, --ca-file e o certificado de cliente

## Step guidance

step-trusterPhoneNumber-title = Telefone confiável
step-trusterPhoneNumber-purpose = Registra o número de telefone em que a conta vai confiar para os códigos de segurança. Precisa ser feito antes da ativação do dispositivo.
step-trusterPhoneNumber-needs =
    O telefone cujo número será confiável, ligado e capaz de receber SMS
    O aplicativo móvel do veículo, com a conta do cliente conectada
step-trusterPhoneNumber-does =
    No aplicativo, informar ou confirmar o número de telefone confiável.
    Esperar o SMS com um código nesse número (pode levar um minuto).
    Digitar o código SMS no campo de código do aplicativo e confirmar.
    Se o código for recusado ou estiver vencido, pedir outro no aplicativo e tentar de novo.

step-deviceActivation-title = Ativação do dispositivo
step-deviceActivation-purpose = Registra este telefone para a autenticação forte: o telefone é o que o cliente tem, o código PIN o que ele sabe.
step-deviceActivation-needs =
    O telefone a ativar, com o número confiável capaz de receber SMS
    O código PIN do cliente, se já tiver um, ou um novo que ele vá lembrar
    Uma conexão de dados funcionando no telefone
step-deviceActivation-does =
    Iniciar a ativação do dispositivo no aplicativo e esperar o SMS no número confiável.
    Informar o código SMS quando o aplicativo pedir (no campo de código, não no do PIN).
    Informar o código PIN existente, ou criar um se o aplicativo pedir.
    Se a conta estiver bloqueada (dispositivos ou ativações por SMS demais), remover os dispositivos associados sem uso e recomeçar.
    Se o PIN estiver bloqueado após tentativas erradas demais, redefini-lo no aplicativo e ativar de novo.

step-mediumCarKey-title = Verificação CarKey
step-mediumCarKey-purpose = Comprova que o cliente tem mesmo as chaves do veículo. Só precisa ser feita uma vez.
step-mediumCarKey-needs =
    O telefone já pareado com o veículo por Bluetooth
    As chaves do veículo, com o cliente sentado dentro dele
    Localização e Bluetooth ligados nos ajustes do telefone
step-mediumCarKey-does =
    Sentar no veículo com as chaves e o telefone.
    Conferir que Localização e Bluetooth estão ligados e que o telefone mostra o veículo como pareado.
    Iniciar a verificação CarKey no aplicativo e seguir as instruções sobre a chave.
    Ficar no veículo até o aplicativo confirmar que deu certo.

step-generic-purpose = O stepwise não conhece este passo e não tem instruções próprias para ele.
step-generic-needs =
    O telefone do cliente com o aplicativo aberto e conectado
    O que o aplicativo pedir na tela (códigos, PIN, chaves, acesso ao veículo)
step-generic-does =
    Pedir ao cliente que abra o aplicativo e siga as instruções deste passo.
    Anotar o nome do passo e qualquer código de erro mostrado.
    Procurar o passo na documentação do fabricante ou na ajuda da concessionária.
    Atualizar aqui a lista de passos quando o cliente terminar.

## App error codes

code-2000-meaning = Falha genérica
code-2000-remedy = Pedir ao cliente que tente de novo; se continuar falhando, anotar o código e relatar.
code-2201-meaning = A solicitação expirou (timeout)
code-2201-remedy = Tentar de novo e conferir se o telefone tem boa cobertura móvel ou Wi-Fi.
code-2202-meaning = Sem conexão com a internet
code-2202-remedy = Conferir os dados móveis ou o Wi-Fi do telefone e tentar de novo.
code-2204-meaning = Erro do servidor
code-2204-remedy = Esperar um pouco e tentar mais tarde; relatar se continuar acontecendo.
code-2301-meaning = É preciso autenticação básica
code-2301-remedy = Pedir ao cliente que saia da conta no aplicativo, faça login de novo e tente outra vez.
code-2302-meaning = É preciso autenticação forte
code-2302-remedy = O cliente confirma com o código PIN (OTP com PIN) no aplicativo e tenta de novo.
code-2305-meaning = O código SMS não é válido
code-2305-remedy = Pedir um novo código ao aplicativo e digitá-lo com cuidado no campo de código.
code-2306-meaning = O código SMS expirou
code-2306-remedy = Pedir um novo código ao aplicativo e informá-lo logo.
code-2307-meaning = A conta não tem número de telefone
code-2307-remedy = Registrar antes um número de telefone confiável (passo trusterPhoneNumber).
code-2308-meaning = O serviço de autenticação recusou o acesso
code-2308-remedy = Conferir o código SMS e o código PIN digitados, cada um no campo certo, e tentar de novo.
code-2310-meaning = A conta está bloqueada
code-2310-remedy = Remover os dispositivos associados da conta (pelo menos os sem uso) e registrar este telefone de novo.
code-2311-meaning = O estado da autenticação não está correto
code-2311-remedy = Redefinir o cache de passos (tecla R do assistente, ou `stepwise steps --car ID --reset`) e registrar o dispositivo de novo.
code-2312-meaning = O dispositivo está desativado ou é desconhecido
code-2312-remedy = Redefinir o cache de passos (tecla R do assistente, ou `stepwise steps --car ID --reset`) e ativar o dispositivo de novo.
code-2317-meaning = Operação proibida com o PIN (dispositivo ativado, bloqueado ou atualizável)
code-2317-remedy = Redefinir o cache de passos (tecla R do assistente, ou `stepwise steps --car ID --reset`) e ativar o dispositivo de novo. Se persistir, a conta está bloqueada: remover todos os dispositivos associados e recomeçar.
code-2323-meaning = O usuário não é o proprietário deste veículo
code-2323-remedy = Conferir se o veículo está associado à conta do cliente e se o carAssociationID está certo.
code-2341-meaning = CarKey: Localização ou Bluetooth desligado
code-2341-remedy = Ligar Localização e Bluetooth no telefone e repetir a verificação CarKey.
code-2342-meaning = CarKey: o telefone não está pareado com o veículo
code-2342-remedy = Parear o telefone com o veículo por Bluetooth e repetir a verificação CarKey.
code-2346-meaning = Não há passo para este stepsID
code-2346-remedy = Recomeçar com o carAssociationID para obter uma lista de passos nova.
code-2354-meaning = CarKey: a posição da chave não é válida
code-2354-remedy = O cliente senta no veículo com as chaves e repete a verificação CarKey.
code-2355-meaning = CarKey: assinatura inválida
code-2355-remedy = Repetir a verificação CarKey dentro do veículo com as chaves; relatar se continuar falhando.
code-2356-meaning = CarKey: carimbo de data/hora inválido
code-2356-remedy = Conferir se a data e a hora do telefone são automáticas e repetir a verificação CarKey.
code-2390-meaning = O número de telefone já está registrado
code-2390-remedy = Nada a corrigir: seguir com esse número como número confiável.

## Codes and strings the open clients show their users

client-maxnbtools-meaning = Conta bloqueada: limite de dispositivos associados / SMS recebidos
client-maxnbtools-remedy = Remover telefones e dispositivos associados sem uso no aplicativo móvel do veículo (redefina sua conta Stellantis) e ativar de novo. Se persistir, só o suporte do fabricante pode redefinir a conta, o que pode levar dias.
client-forbidden-meaning = O registro OTP foi recusado (mesma família de MAXNBTOOLS)
client-forbidden-remedy = Refazer a ativação do dispositivo desde o início. Se for recusada de novo, tratar como MAXNBTOOLS: remover os dispositivos sem uso e redefinir a conta.
client-access-meaning = Código SMS ou código PIN inválido
client-access-remedy = Informá-los de novo: o código SMS no campo de código, o código PIN do aplicativo no campo do PIN.
client-blocked-meaning = Códigos PIN errados demais: o PIN está bloqueado
client-blocked-remedy = Redefinir o código PIN no aplicativo móvel do veículo e ativar o dispositivo de novo.
client-code-meaning = Provavelmente um código PIN do aplicativo errado (não é certo)
client-code-remedy = Tentar de novo com o código PIN correto do aplicativo.
client-sn-meaning = O código SMS não foi aceito (não é certo; visto quando outra coisa foi digitada ou preenchida automaticamente)
client-sn-remedy = Pedir um novo SMS e digitar o código à mão.
client-need-authorization-meaning = O login na conta da marca precisa de uma nova autorização
client-need-authorization-remedy = Esperar e tentar mais tarde (muitas vezes no dia seguinte); entrar de novo no aplicativo móvel do veículo.
client-authentication-failed-meaning = E-mail, senha ou país da conta da marca errados
client-authentication-failed-remedy = Corrigir o e-mail, a senha ou o país e entrar de novo.
client-invalid-grant-meaning = O token de login expirou ou foi revogado
client-invalid-grant-remedy = Fazer login de novo.
client-40400-meaning = Nenhum estado do veículo encontrado
client-40400-remedy = Conferir se o veículo está na conta do cliente; se persistir, remover o veículo e adicioná-lo de novo.
client-50000-meaning = O módulo de conectividade do veículo foi trocado (após um reparo) e o servidor não o reconhece mais
client-50000-remedy = Fazer login de novo; se persistir, a concessionária precisa registrar o novo módulo.
client-50038-meaning = Erro temporário do lado do fabricante
client-50038-remedy = Tentar mais tarde.
client-no-matching-service-key-meaning = Este comando não faz parte do serviço contratado
client-no-matching-service-key-remedy = Usar o que a assinatura oferece (portas, buzina e luzes exigem um nível de serviço superior).
client-422-meaning = Comando remoto recusado: o modo de privacidade do veículo está ligado
client-422-remedy = Desligar o modo de privacidade no veículo e tentar de novo.
client-901-meaning = Comando remoto recusado: o veículo está dormindo
client-901-remedy = Acordar o veículo e tentar de novo.

## Limits that bite

limit-sms-activations = Cerca de 20 ativações por SMS bloqueiam a conta (para um usuário, perto de 10): depois de duas falhas, explicar o código e parar.
limit-otp-codes = Os aplicativos não oficiais (clientes de código aberto, não o cliente do veículo) se limitam a 6 códigos OTP a cada 24 h; o servidor provavelmente impõe esse limite.
limit-wake-ups = Esses aplicativos se limitam a 6 despertares a cada 20 minutos.

## Signing in

banner-sign-in-text = O gateway recusou o token (HTTP 401). Pressione i para entrar aqui.
banner-sign-in-kept-fixed-text = O gateway recusou o token guardado por `stepwise login --with-token` (HTTP 401). Peça a quem opera o gateway o token atual, guarde-o com `stepwise login --with-token` e comece de novo; ou pressione i para entrar aqui, se ele oferecer login (i diz se não).
banner-sign-in-given-text = O gateway recusou o token (origem: { $from }) (HTTP 401). Coloque ali o token atual dele e comece de novo; ou pressione i para entrar aqui, se o gateway oferecer login (senão o i dirá).
banner-simulated = Cliente simulado
banner-simulated-text = O cliente simulado concluiu { $title }; pedindo a lista ao gateway.
banner-simulate-demo-only = s simula o cliente só no backend de demonstração
banner-simulate-demo-only-text = Aqui o cliente age no telefone. Com `stepwise serve`, um passo é concluído com: curl -X POST { $url }
banner-simulate-demo-only-token-text = Aqui o cliente age no celular. Com `stepwise serve`, um passo é concluído com: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: o token que este assistente envia)
banner-simulate-demo-only-fixed-text = Aqui o cliente age no celular. Com `stepwise serve`, um passo é concluído com: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: o token do gateway que você guardou com `stepwise login --with-token`)
banner-simulate-demo-only-login-text = Aqui o cliente age no celular. Com `stepwise serve`, um passo é concluído com: curl -X POST -H "Authorization: Bearer TOKEN" { $url } (TOKEN: um que o gateway aceite. O deste assistente vem de um login e nunca é mostrado: inicie `stepwise serve --auth` também com `--token T` e envie T)
banner-sign-in-none-text = O gateway quer um token, e nenhum foi enviado (HTTP 401). Pressione i para entrar aqui, se o gateway oferecer login (senão, i avisa).
banner-sign-in-login-unreadable-text = O gateway quer um token, e nenhum foi enviado (HTTP 401): os logins guardados por `stepwise login` não puderam ser lidos: { $why }. Saia, corrija isso e comece de novo, ou comece com --token-file CAMINHO.
banner-sign-in-again-text = { $why }: o login terminou. Pressione «i» para fazer login de novo.
banner-signed-in = Login feito
banner-signed-in-watch-resumed = O acompanhamento, que o token recusado tinha parado, continua.
banner-signed-in-text = O token fica guardado no { $place }; os passos são pedidos de novo com ele.
banner-signed-in-given = Esta sessão o usa; a próxima volta a pegar o token informado via { $from }, que prevalece sobre o login guardado: inicie-a sem { $from }.
banner-sign-in-failed = Falha ao entrar
report-sign-in-cancelled = cancelado antes de a aprovação chegar (Esc, ou o assistente terminou): nenhum token foi guardado
banner-sign-in-no-help = Nenhum login iniciado
banner-sign-in-no-help-text = um novo login com estas configurações teria a mesma resposta. { $why }
banner-sign-in-failed-text = { $why }. Pressione i para tentar de novo.
banner-sign-in-failed-fix-text = { $why }. Pressionar i de novo falha do mesmo jeito até que isso seja mudado.
banner-sign-in-settings-text = { $why }. Um assistente em execução lê suas configurações de login ao iniciar, e não aceita --client-id nem --scope: mude-as no arquivo de configuração (`client_id`, `scopes`), depois saia (q) e inicie-o de novo.
banner-sign-in-wait-text = O provedor de identidade não dá código por enquanto ({ $said }) e pede para esperar { $wait }. Pressione i depois dessa espera.
banner-sign-in-expired-text = O código expirou antes de ser aprovado. Pressione i para um novo código, e aprove-o mais cedo.
banner-sign-in-denied-text = O login foi recusado (access_denied) para os scopes { $scopes }. Se foi recusado no navegador, pressione i para entrar de novo. Se não, o provedor quer outros scopes: pergunte ao operador quais, depois saia, coloque-os como `scopes` no arquivo de configuração e comece de novo.
banner-sign-in-stopped-text = O provedor de identidade encerrou o login ({ $said }). Pressione i para começar um novo.
banner-sign-in-not-offered-text = O gateway em { $gateway } não oferece login: ele usa um token fixo. Saia, guarde o token com `stepwise login --with-token` (ou informe-o com --token-file ARQUIVO ou STEPWISE_TOKEN) e comece de novo: um assistente em execução não lê um token guardado nesse meio-tempo.
banner-sign-in-not-needed-text = O gateway em { $gateway } não oferece login, e respondeu sem token: aqui ele não precisa de nenhum, então não há onde fazer login.
banner-sign-in-discovery-refused-text = O gateway em { $gateway } recusou o pedido dos seus metadados de login (HTTP 403): ele não publica nenhum para este cliente, ou um firewall à frente dele bloqueia esse caminho. Peça um token a quem administra o gateway; depois saia, guarde-o com `stepwise login --with-token` (ou informe-o com --token-file ARQUIVO ou STEPWISE_TOKEN) e comece de novo.
banner-sign-in-not-offered-given-text = O gateway em { $gateway } não oferece login: ele aceita um token fixo e recusou o informado (origem: { $from }). Saia, coloque ali o token atual dele e comece de novo (um token guardado com `stepwise login --with-token` não é usado enquanto { $from } der um).
help-section-sign-in = Fazer login
key-short-sign-in = fazer login
key-help-sign-in = fazer login no gateway (após um token recusado) sem sair deste veículo
key-help-open-sign-in-page = abrir o endereço de login em um navegador
key-help-cancel-sign-in = parar de entrar (nada é guardado)
gw-title-sign-in-again = Reautenticação necessária
gw-title-client-refused = Client id recusado
gw-title-tokens-not-taken = Tokens não aceitos
gw-title-sign-in-failed = Falha ao entrar
gw-title-renewal-failed = Falha ao renovar o token
auth-denied = o login foi recusado (access_denied) para os scopes { $scopes }. Se ninguém o recusou no navegador, o provedor quer outros scopes: pergunte quais ao operador dele, defina-os com --scope ou `scopes` no arquivo de configuração e execute `stepwise login` de novo
auth-denied-said = o login foi recusado (access_denied) para os escopos { $scopes }, e o provedor de identidade diz por quê: { $said }. Se isso nomeia a conta (um grupo, um papel), peça ao administrador do provedor que a deixe entrar no stepwise; se nomeia escopos, defina-os com --scope ou `scopes` no arquivo de configuração, e rode `stepwise login` de novo
auth-expired = o código expirou antes de ser aprovado. Execute `stepwise login` de novo e aprove-o mais cedo
auth-sign-in-again = { $why }. Execute `stepwise login` para fazer login de novo
auth-client-refused-then = { $why }; depois faça login com ele: `stepwise login --client-id ID`
auth-refused-fresh-then = { $why }; depois faça login com ela: `stepwise login --audience URI`
auth-unreachable = não foi possível acessar o provedor de identidade em { $url }: { $detail }. Confira a rede e tente de novo; se persistir, confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway (os metadados de login dele indicam este provedor)
auth-proxy-407 = o proxy { $proxy } (de { $from }) respondeu ele mesmo 407 à chamada de login para { $url }: o provedor de identidade não foi consultado. O proxy quer usuário e senha: coloque-os na variável do proxy (http://usuario:senha@proxy:porta), ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-407-refused = o proxy { $proxy } (de { $from }) recusou o usuário e a senha da sua variável para a chamada de login para { $url } (407): o provedor de identidade não foi consultado. Confira o usuário e a senha na variável do proxy, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-401-basic = o proxy { $proxy } (de { $from }) respondeu ele mesmo à chamada de login para { $url } com HTTP 401 e um login (Basic): o provedor de identidade não foi consultado. Um proxy que pede assim (o tinyproxy pede) toma usuário e senha da variável do proxy (http://usuario:senha@proxy:porta); ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-401-basic-refused = o proxy { $proxy } (de { $from }) respondeu ele mesmo à chamada de login para { $url } com HTTP 401 e um login (Basic), embora a variável do proxy traga usuário e senha: ele os recusou, e o provedor de identidade não foi consultado. Confira-os na variável do proxy (caracteres como @ ou : codificados em porcentagem), ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-windows = o proxy { $proxy } (de { $from }) respondeu ele mesmo com 407 à chamada de login para { $url }, pedindo login do Windows (Negotiate ou NTLM), que o stepwise não consegue dar: o provedor de identidade não foi consultado, e nenhum usuário e senha na variável do proxy o responde. Peça a quem administra o proxy que deixe passar { $host } sem ele, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-answered = a chamada de login para { $url } passou pelo proxy { $proxy } (de { $from }) e voltou com HTTP { $status }{ $said } sem resposta do provedor de identidade: o próprio proxy respondeu, ou algo à frente do provedor. Pergunte a quem administra o proxy se ele deixa passar { $host }, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy (um nesta máquina sempre pode)
auth-proxy-429 = a chamada de login para { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele mesmo HTTP 429{ $said }: o proxy está limitando os pedidos. Espere um minuto e tente de novo; se continuar, pergunte a quem opera o proxy, ou defina NO_PROXY={ $host } se o provedor for acessível sem o proxy
auth-proxy-429-wait = a chamada de login a { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele mesmo HTTP 429{ $said }: o proxy está limitando requisições e pede para esperar { $secs } s. Tente de novo depois disso; se continuar, pergunte a quem opera o proxy, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-5xx = a chamada de login para { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele mesmo HTTP { $status }{ $said }: deixou passar a chamada e não obteve resposta de { $host } (fora do ar, ou fora do alcance do proxy). Tente mais tarde; se persistir, pergunte a quem opera { $host } ou o proxy, ou defina NO_PROXY={ $host } se { $host } for acessível sem o proxy
auth-proxy-5xx-loopback = a chamada de login a { $url } passou pelo proxy { $proxy } (de { $from }), que respondeu ele mesmo HTTP { $status }{ $said }: o provedor de identidade { $host } está nesta máquina, que um proxy em outro lugar não alcança, então tentar de novo dá o mesmo. Defina NO_PROXY={ $host } (um provedor nesta máquina é sempre alcançado sem o proxy)
auth-proxy-closed = o proxy { $proxy } (de { $from }) fechou a chamada de login para { $url } sem resposta: não se sabe se o provedor de identidade foi consultado. Tente de novo; se persistir, pergunte a quem administra o proxy, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-unreachable = não foi possível conectar ao proxy { $proxy } (de { $from }) para a chamada de login para { $url }: nada responde no endereço do proxy, então nada foi perguntado. Confira a variável do proxy (host e porta), ou defina NO_PROXY={ $host } se o endereço puder ser alcançado sem o proxy
auth-proxy-silent = nenhuma resposta a tempo à chamada de login para { $url } através do proxy { $proxy } (de { $from }): o proxy, ou o provedor de identidade atrás dele, está calado. Tente de novo mais tarde; se persistir, pergunte a quem administra o proxy, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-garbled = o que voltou através do proxy { $proxy } (de { $from }) para a chamada de login para { $url } não é HTTP válido: o proxy está com defeito, ou sua variável indica algo que não é um proxy HTTP. Confira a variável do proxy, pergunte a quem o administra, ou defina NO_PROXY={ $host } se o provedor puder ser alcançado sem o proxy
auth-proxy-tunnel = o proxy { $proxy } (de { $from }) não abriu um túnel (CONNECT) para { $host } para a chamada de login para { $url }: nada foi perguntado lá. Pergunte a quem administra o proxy se ele deixa passar { $host }, ou defina NO_PROXY={ $host } se puder ser alcançado sem o proxy
auth-fronted = a chamada de login para { $url } foi recusada com HTTP { $status }{ $said } e uma página, não com a resposta do provedor de identidade (os erros dele são JSON): algo à frente do provedor (um firewall, um firewall de aplicações web, ou um proxy reverso ou o login dele) a recusou. Tentar de novo ou fazer login de novo dá no mesmo: pergunte a quem administra a rede ou o provedor de identidade se deixa passar esta chamada
auth-no-endpoint = a chamada de login para { $url } recebeu HTTP { $status } sem erro OAuth: nenhum endpoint responde ali (um gateway de API à frente do provedor de identidade responde assim para uma rota que não tem, ou o provedor o mudou de lugar). Avise quem administra o provedor de identidade ou o gateway; tentar de novo dá no mesmo, e um novo login só ajuda se os metadados do provedor agora nomearem outro endereço
auth-fronted-gone = a chamada de login para { $url } recebeu HTTP { $status }{ $said } e uma página, não a resposta do provedor de identidade (os erros dele são JSON): nada atende esse endereço, ou algo à frente do provedor responde por ele. Os metadados do provedor de identidade ainda o nomeiam, então tentar de novo ou fazer login de novo dá no mesmo: avise quem administra o provedor de identidade ou o gateway
auth-fronted-page = a chamada de login para { $url } recebeu HTTP { $status }{ $said } e uma página web, não o JSON do provedor de identidade: algo à frente do provedor (um portal, um proxy reverso ou a página de login dele) respondeu no lugar dele. Pergunte a quem administra a rede ou o provedor de identidade se deixa passar esta chamada
auth-no-answer = o provedor de identidade em { $url } aceitou a conexão mas não respondeu a tempo: está ocupado ou travado. Tente de novo mais tarde; se persistir, avise quem o opera
auth-not-tls = o provedor de identidade em { $url } não fala TLS: confira a porta no endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração), ou use http:// ali se o provedor não tiver TLS
auth-tls-unknown-issuer = o provedor de identidade em { $url } apresentou um certificado de um emissor desconhecido (uma autoridade privada, ou um proxy que inspeciona TLS). Confie na autoridade dele com --ca-file ARQUIVO (o certificado dela, PEM), que quem gerencia o provedor fornece; se --issuer (ou `issuer` no arquivo de configuração) estiver errado, corrija-o
auth-tls-wrong-host = o certificado do provedor de identidade em { $url } não foi feito para o host dele. Confira --issuer (ou `issuer` no arquivo de configuração); se estiver certo, avise quem gerencia o provedor
auth-tls-dates = o certificado do provedor de identidade em { $url } expirou ou ainda não é válido. Confira a data e a hora desta máquina; se estiverem certas, avise quem gerencia o provedor
auth-tls-other = a conexão TLS com o provedor de identidade em { $url } falhou ({ $code }). Confira --issuer (ou `issuer` no arquivo de configuração); se estiver certo, avise quem gerencia o provedor
auth-tls-old-version = o provedor de identidade em { $url } apresentou um certificado X.509 versão 1, que o TLS não aceita mais. Nenhum --issuer ou --ca-file resolve: peça a quem gerencia o provedor que o reemita na versão 3, com o nome de host como nome alternativo do sujeito
auth-tls-no-host-names = o certificado do provedor de identidade em { $url } não nomeia nenhum host (sem nome alternativo do sujeito; um nome comum sozinho não é mais lido pelo TLS). Nenhum --issuer ou --ca-file resolve: peça a quem gerencia o provedor que o reemita com o nome de host como nome alternativo do sujeito
auth-answered-badly = o endereço do provedor de identidade { $url } foi alcançado, mas { $detail }. Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
auth-closed = o endereço do provedor de identidade { $url } aceitou a chamada e fechou a conexão sem responder: o provedor pode estar reiniciando ou sobrecarregado, ou algo no caminho a cortou. Tente de novo; se persistir, verifique o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um, senão avise quem opera o gateway
login-title = Fazer login em { $gateway }
login-open = Abra { $address } e digite este código:
login-scan = Ou escaneie este código QR com o celular:
login-qr-no-room = (Uma janela maior mostra um código QR do endereço.)
login-press-enter = Pressione Enter para abrir o endereço no navegador.
login-waiting = Aguardando a aprovação (o código expira em { $left }; Ctrl-C cancela)…
err-login-output-closed = o código de login não pôde ser mostrado: a saída padrão está fechada ou é descartada (um pipe que parou de ler, como `| head -1`, um descritor fechado ou /dev/null), então ninguém pode aprová-lo. Nada foi guardado; execute `stepwise login` de novo com a saída em um terminal ou em um arquivo
err-login-output-unwritable = o código de login não pôde ser mostrado: não foi possível escrever na saída padrão ({ $why }), então ninguém pode aprová-lo. Nada foi guardado; execute `stepwise login` de novo com a saída em um terminal ou em um arquivo gravável
login-poll-limited = O provedor de identidade pede para esperar (HTTP 429, pedidos demais): a aprovação será verificada de novo em { $secs } s. O código continua válido enquanto isso.
login-browser-opened = Endereço entregue ao navegador (se nenhum navegador o mostrar, abra você mesmo o endereço acima).
login-browser-failed = Não foi possível abrir um navegador ({ $why }); abra o endereço manualmente.
login-signed-in = Login feito em { $gateway }.
login-token-expired-kept = Nota: pela validade escrita nele, este token expirou em { $time }; o gateway o aceitou agora, mas pode recusá-lo a qualquer momento. Peça o token atual
login-token-untried-why = Token guardado para { $gateway }, mas não testado: { $why }. Se esse endereço estiver errado, corrija --api (ou `api` no arquivo de configuração) e guarde o token de novo; senão o gateway diz se o aceita na próxima chamada (`stepwise steps --car ID`).
login-token-untried-silent = Token guardado para { $gateway }, mas não testado: o gateway aceitou a conexão e não respondeu em { $secs } s (ocupado ou travado). Confira se ele está em execução e responde; o gateway diz se aceita o token na próxima chamada (`stepwise steps --car ID`).
login-token-untried-proxy = Token guardado para { $gateway }, mas não testado: { $why }. Quando o proxy deixar o pedido passar (ou NO_PROXY o evitar), o gateway diz na próxima chamada se aceita o token (`stepwise steps --car ID`).
login-token-unjudged = Token guardado para { $gateway }, mas a resposta não diz se o gateway o aceita: { $why }. O gateway diz isso na próxima chamada (`stepwise steps --car ID`).
err-login-not-a-gateway = Token não guardado: { $why }
err-signin-not-a-gateway = Login não feito: este endereço não publica login, e a chamada de passos dele mostra por quê: { $why }
login-token-taken = Token guardado para { $gateway }: o gateway o aceitou.
login-token-not-checked = Token guardado para { $gateway }, mas o gateway respondeu também sem token: ele não precisa de nenhum aqui, então não dá para saber se aceita este. Ele é enviado em toda chamada mesmo assim; `stepwise logout` o esquece.
login-expires = O token expira às { $time }; ele é renovado antes disso.
login-kept = O token fica guardado no { $place }.
login-environment-wins = Nota: STEPWISE_TOKEN está definido aqui, e o token dele prevalece sobre este login em todo comando. Remova STEPWISE_TOKEN para usar o login.
login-file-notice = Observação: nenhum chaveiro respondeu nesta máquina, então o token fica guardado em um arquivo que só você pode ler (modo 0600). `stepwise logout` o remove.
login-file-notice-windows = Observação: nenhum chaveiro respondeu nesta máquina, então o token fica guardado em um arquivo da sua própria pasta %LOCALAPPDATA%, que o Windows só deixa você (e os administradores do PC) ler. `stepwise logout` o remove.
login-file-chosen = Observação: o token é guardado no arquivo, não em um chaveiro, porque STEPWISE_TOKEN_STORE=file pede isso. `stepwise logout` o remove.
login-keyring-too-small = Observação: o token é longo demais para { $name } (no máximo { $max } bytes por entrada), então fica guardado em um arquivo que só você pode ler. `stepwise logout` o remove.
login-paste = Cole o token para { $gateway } e pressione Enter (ele não é exibido; Esc ou Ctrl-C cancela):
place-keyring = chaveiro ({ $name })
place-file = arquivo { $path }
logout-none = Nenhum login guardado para { $gateway }; nada a remover.
logout-done = Desconectado de { $gateway }; token removido do { $place }.
logout-still-given = Um token informado via { $from } ainda está presente e ainda é usado.
token-from-token-file = --token-file
token-from-environment = STEPWISE_TOKEN
token-from-login = o login guardado
token-from-config = o arquivo de configuração
status-gateway = Gateway:   { $gateway }
status-login-kept = Login:     guardado no { $place }
status-login-file-private = (legível só por você)
status-login-file-open = (legível por outros usuários desta máquina: modo { $mode }; rode `chmod 600 { $path }`)
status-login-none = Login:     nenhum guardado (`stepwise login` faz o login onde o gateway oferece login; `stepwise login --with-token` guarda um token fixo)
status-login-kept-unused = Login:     guardado no { $place }, sem uso: o token (origem: { $from }) tem prioridade
duration-days = { $n } d
duration-hours = { $n } h
duration-minutes = { $n } min
duration-seconds = { $n } s
status-expires = Validade:  { $time } (em { $left })
status-expires-renewed = Validade:  { $time } (em { $left }; renovado agora mesmo)
status-expired-refreshable = Validade:  expirou às { $time }; um token novo é obtido no próximo uso
status-renewal-failed = Renovação: tentada agora, e falhou: { $why }
status-expired = Validade:  expirou às { $time }
status-expires-ended = Validade:  { $time } (não pode mais ser usado: o provedor de identidade encerrou o login)
status-expires-unknown = Validade:  desconhecida (um token informado manualmente)
status-expires-unknown-provider = Validade:  desconhecida (o provedor de identidade não deu um vencimento utilizável)
status-refresh-auto = Renovação: automática, antes de expirar
status-refresh-ended = Renovação: nenhuma: o provedor de identidade acabou de encerrar o login (a linha Renovação acima diz como). Execute `stepwise login`
status-refresh-failing = Renovação: automática, mas a renovação de agora falhou (a linha Renovação acima diz por quê); o próximo uso pede de novo
status-refresh-none = Renovação: não é possível; faça login de novo quando ele parar de funcionar
status-refresh-fixed = Renovação: não é possível (um token dado à mão); quando parar de funcionar, guarde o token atual do gateway com `stepwise login --with-token`
status-in-use-login = Em uso:    o login guardado
status-in-use-dropped = Em uso:    o token informado via { $from }, mas ele não chegou ao gateway: { $why }
status-in-use-login-refused = Em uso:    o login guardado, mas o gateway acabou de recusar o token dele (HTTP 401): a próxima chamada o renova uma vez; se o gateway recusar esse também, entre de novo com `stepwise login`
status-in-use-login-refused-fresh = Em uso:    o login guardado, mas o gateway acabou de recusar o token dele (HTTP 401), e também o renovado na hora: { $why }
status-in-use-login-refused-fixed = Em uso:    o login guardado, mas o gateway acabou de recusar o token dele (HTTP 401): entre com `stepwise login` se o gateway oferecer login; senão peça o token atual a quem o opera, e guarde-o com `stepwise login --with-token`
status-in-use-spent = Em uso:    nada utilizável: o login guardado expirou. Execute `stepwise login`
status-in-use-renewing = Em uso:    o login guardado, assim que o provedor de identidade renovar o token: a renovação falhou por enquanto (a linha Renovação diz porquê); um novo login encontraria o mesmo provedor
status-in-use-spent-fixed = Em uso:    nada utilizável: o token guardado à mão (login --with-token) expirou. Guarde o token atual do gateway com `stepwise login --with-token`
status-in-use-ended = Em uso:    nada utilizável: o provedor de identidade encerrou o login guardado. Execute `stepwise login`
status-in-use-client = Em uso:    nada utilizável: o provedor de identidade não aceita o id de cliente do login guardado. Entre com o que ele conhece: `stepwise login --client-id ID`
status-in-use-other = Em uso:    um token informado via { $from } (tem prioridade sobre um login guardado)
status-in-use-not-tried = não testado: não foi possível perguntar ao gateway se ele o aceita: { $why }
status-in-use-other-expired = Em uso:    um token de { $from } (ele prevalece sobre um login guardado), mas expirou em { $time }, pela validade escrita nele: ponha um atual lá, ou remova-o para usar um login guardado
status-in-use-other-refused = Em uso:    um token de { $from } (ele prevalece sobre um login guardado), mas o gateway acabou de recusá-lo (HTTP { $status }): ponha lá o token atual do gateway, ou remova-o para usar um login guardado
status-in-use-other-scope = Em uso:    um token de { $from } (ele prevalece sobre um login guardado), mas o gateway diz que lhe falta o escopo { $scope } (HTTP { $status }): peça a quem emite os tokens do gateway um com esse escopo
status-in-use-config = Em uso:    um token informado via { $from } (um login guardado, com `stepwise login`, teria prioridade sobre ele)
status-in-use-config-refused = Em uso:    um token informado via { $from } (um login guardado, com `stepwise login`, teria prioridade sobre ele), mas o gateway acabou de recusá-lo (HTTP { $status }): ponha lá o token atual do gateway, ou guarde um com `stepwise login` (ou `stepwise login --with-token`), que tem prioridade sobre ele
status-in-use-config-expired = Em uso:    um token informado via { $from } (um login guardado, com `stepwise login`, teria prioridade sobre ele), mas expirou em { $time }, pela validade escrita nele: ponha um atual lá, ou guarde um com `stepwise login` (ou `stepwise login --with-token`), que tem prioridade sobre ele
status-in-use-config-scope = Em uso:    um token informado via { $from } (um login guardado, com `stepwise login`, teria prioridade sobre ele), mas o gateway diz que lhe falta o escopo { $scope } (HTTP { $status }): peça a quem emite os tokens do gateway um com esse escopo
signin-asking = Pedindo um código de login: o gateway nomeia seu provedor de identidade, que dá o código…
signin-waiting = Aguardando a aprovação (o código expira em { $left }). Esc cancela; a sessão do veículo continua.
signin-no-browser = Nenhum navegador pode ser aberto aqui (sem sessão gráfica). Em um celular ou outro computador, abra o endereço acima (ou leia o código QR dele) e digite o código.
signin-no-browser-no-qr = Nenhum navegador pode ser aberto aqui (sem sessão gráfica). Em um celular ou outro computador, abra o endereço acima e digite o código.
signin-no-browser-local = Nenhum navegador pode ser aberto aqui (sem sessão gráfica), e o endereço acima só existe nesta máquina (loopback), então outro dispositivo também não consegue abri-lo. Esc cancela; depois guarde um token com `stepwise login --with-token`, ou inicie o assistente na tela desta máquina.
signin-browser-failed = O navegador não abriu ({ $why }). Em um celular ou outro computador, abra o endereço acima (ou leia o código QR dele) e digite o código.
signin-browser-failed-no-qr = O navegador não abriu ({ $why }). Em um celular ou outro computador, abra o endereço acima e digite o código.
status-in-use-none = Em uso:    nenhum token. Execute `stepwise login` (`stepwise login --with-token` se o gateway não oferecer login), ou informe um com --token-file ou STEPWISE_TOKEN
status-in-use-none-fixed = Em uso:    nenhum token, e o gateway quer um. Ele não oferece login: o token vem de quem o administra. Guarde esse token com `stepwise login --with-token`, ou informe-o com --token-file ou STEPWISE_TOKEN
status-in-use-none-needed = Em uso:    nenhum token, e nenhum é necessário: o gateway em { $gateway } respondeu sem ele. Execute `stepwise steps --car ID` assim mesmo
status-in-use-none-unasked = Em uso:    nenhum token; não foi possível perguntar ao gateway em { $gateway } se ele quer um: { $why }. Assim que ele responder, `stepwise auth status` diz se ele quer um
status-unasked-no-client = a chamada não pôde ser feita com as configurações de rede informadas (stepwise steps diz quais)
status-login-trouble = Login:     { $why }
status-in-use-trouble = Em uso:    nenhum token: o login guardado não pode ser lido (veja a linha acima)

## O painel: muitos veículos de uma vez

board-title = { $count ->
    [0] painel de { $count } veículos
    [one] painel de 1 veículo
   *[other] painel de { $count } veículos
}
board-sorted-by = ordenado por { $key }
board-sort-next = próximo passo
board-sort-progress = progresso
board-sort-freshness = última atualização
board-sort-id = ID
board-live-on-short = ao vivo ON
board-live-polling-short = ao vivo ON · consulta a cada { $secs } s
board-live-off-short = ao vivo off
board-summary-ready = { $n ->
    [0] { $n } prontos
    [one] { $n } pronto
   *[other] { $n } prontos
}
board-summary-in-progress = { $n } em curso
board-summary-failing = { $n } com erro
board-summary-loading = { $n } aguardando resposta
limited-wait = HTTP 429: as requisições esperam mais { $secs } s
board-filter = filtro:
board-fresh-never = ainda não
board-fresh-secs = há { $n } s
board-fresh-mins = há { $n } min
board-fresh-hours = há { $n } h
board-empty = Ainda nenhum veículo no painel: pressione «a» para adicionar um.
board-none-match = Nenhum veículo corresponde ao filtro. Esc o apaga.
board-col-car = carAssociationID
board-col-car-short = ID
board-col-progress = progresso
board-col-progress-short = passos
board-col-next = próximo passo
board-col-fresh = dados
board-col-error = erro
board-rows-window = { $from }–{ $to } de { $total }
board-n-of-m = { $done } de { $total }
board-ready = pronto
board-loading = consultando…
board-held = retido (HTTP 429)
board-retrying-was = tentando de novo (antes: { $was })
board-held-was = retido (antes: { $was })
board-remove-ask = Remover { $car } do painel? Pressione «s» para remover ou «n» para manter.
board-add-prompt = Adicionar carAssociationID:
board-add-duplicate = { $car } já está no painel.
board-removed = { $car } removido
board-removed-text = Seus pedidos foram parados; pressione «a» para adicioná-lo de novo.
board-shared-steps-id = Um mesmo stepsID ({ $id }) para { $count } veículos
board-shared-steps-id-text = { $cars } receberam listas sob o mesmo stepsID, que pertence a um só veículo: um proxy ou cache entre aqui e o gateway (que ignora a consulta), ou o próprio gateway, mistura as respostas, então estas linhas e suas atualizações ao vivo podem mostrar a lista de outro veículo. Não confie nelas; avise o operador do gateway (e o administrador da rede, onde houver um proxy configurado).
board-turned-ready = { $count ->
    [one] { $cars } está pronto
   *[other] { $cars } estão prontos
    }
board-turned-ready-text = Todos os passos estão feitos: o cliente pode usar o serviço.
board-turned-unready = { $count ->
    [one] { $cars } não está mais pronto
   *[other] { $cars } não estão mais prontos
    }
board-live-on = { $count ->
    [0] Ao vivo: { $count } veículos
    [one] Ao vivo: 1 veículo
   *[other] Ao vivo: { $count } veículos
}
board-live-off = Ao vivo off
board-live-off-text = O painel já não se atualiza sozinho; r atualiza tudo agora.
board-live-stopped = Ao vivo parado para { $car }: { $what }
board-live-stopped-every = Ao vivo parado para todos os veículos: { $what }
board-live-stopped-text = { $why }. Acompanhá-lo só repetiria esta resposta; o ao vivo continua para os outros veículos. Depois de resolver, pressione w duas vezes (ao vivo desligado, depois ligado) para acompanhá-lo de novo.
board-live-stopped-unknown-text = { $why }. Acompanhá-lo só repetiria esta resposta; o ao vivo continua para os outros veículos.
board-row-id-fix = O id de uma linha não se corrige no lugar: no painel, d remove esta linha e a adiciona o id certo (na tela deste veículo, Esc volta antes ao painel).
board-live-stopped-all-text = { $why }. Acompanhá-lo só repetiria esta resposta, e o ao vivo agora parou para todos os veículos do painel. Se todos receberam a mesma resposta, a causa é o gateway ou algo na frente dele, não cada id. Depois de resolver, pressione w para acompanhá-los de novo (o ao vivo está desligado).
board-vehicle-said = { $car }: { $what }
board-all-failed = { $count ->
    [one] O veículo falhou
   *[other] Todos os { $count } veículos falharam da mesma forma
}: { $what }
board-stream-said = Fluxo ao vivo de { $count } veículos: { $what }
board-nothing-to-watch-text = Todos os veículos estão prontos.
help-section-board = O painel
help-section-board-filter = O filtro do painel
help-section-board-add = Adicionar um veículo
help-section-board-remove = Remover um veículo
key-short-sort = ordenar
key-short-live = ao vivo
key-short-add = adicionar
key-short-remove = remover
key-short-keep = manter
key-help-board-move = escolher um veículo
key-help-board-open = abrir os passos do veículo escolhido (Esc volta ao painel)
key-help-board-filter = filtrar as linhas por texto (ID, próximo passo, erro)
key-help-board-sort = ordenar por próximo passo, progresso, idade dos dados ou ID
key-help-board-refresh = atualizar todos os veículos
key-help-board-live = manter todos os veículos ao vivo (atualizados sozinhos), ou parar
key-help-board-add = adicionar um veículo pelo seu carAssociationID
key-help-board-remove = remover o veículo escolhido (pergunta antes)
key-help-board-clear = apagar o filtro
key-help-board-sign-in = fazer login no gateway (após um token recusado): cada veículo recusado por falta de token volta a pedir
key-help-filter-keep = manter o filtro e voltar às linhas
key-help-filter-clear = apagar o filtro
key-help-type-filter = digitar o texto a procurar
key-help-add-submit = adicionar o veículo e pedir os seus passos
key-help-remove-now = removê-lo do painel

## Command-line help: what --help says of each command and option

# The words clap itself would say in English.
help-cli-usage = Uso:
help-cli-options = Opções
help-cli-arguments = Argumentos
help-cli-commands = Comandos
help-cli-command-value = COMANDO
help-cli-help = Mostrar a ajuda
help-cli-help-short = Mostrar a ajuda (mais detalhes com '--help')
help-cli-help-long = Mostrar a ajuda (um resumo com '-h')
help-cli-version = Mostrar a versão
help-cli-help-command = Mostrar esta mensagem ou a ajuda dos comandos indicados
help-cli-help-command-subcommand = Mostrar a ajuda destes comandos
help-cli-default = [padrão: { $value }]
help-cli-env = [ambiente: { $name }]
help-cli-values = [valores possíveis: { $values }]
# stepwise itself and its global options.
help-cli-stepwise = Guia o técnico pelos passos de ativação dos serviços de um veículo conectado
help-cli-stepwise-long =
    Guia o técnico pelos passos de ativação dos serviços de um veículo conectado.

    Sem gateway configurado (--api, STEPWISE_API ou o arquivo de configuração), o assistente e os comandos steps/next usam o simulador embutido.
help-cli-stepwise-after = Códigos de saída de steps/next: 0 nenhum passo retornado está pendente (todo), 3 um passo retornado está pendente, 1 erro, 2 uso incorreto. Um comando recusa uma opção global que não usa.
help-cli-stepwise-api = URL base do gateway de passos, p. ex. http://127.0.0.1:8080 (sem nome de usuário nem senha)
help-cli-stepwise-car = carAssociationID a abrir (letras a–z, A–Z, dígitos, - e _); repita para um painel de vários veículos (doctor usa um)
help-cli-stepwise-cars = Arquivo de carAssociationIDs: um por linha (# inicia um comentário), ou um CSV com o id na primeira coluna
help-cli-stepwise-concurrency = Pedidos simultâneos ao gateway, para todo o painel ou todo o --cars
help-cli-stepwise-token-file = Arquivo com o token (bearer) do gateway, sozinho em uma linha
help-cli-stepwise-report = Gravar aqui o relatório de sessão ao sair (.json dá JSON, senão Markdown)
help-cli-stepwise-lang = Idioma das telas, da orientação, da saída em texto e destas mensagens: en, fr, de, it, es, nl, pt-BR ou pt-PT (pt: pt-BR; senão STEPWISE_LANG, lang do arquivo de configuração, o idioma do sistema, inglês)
help-cli-stepwise-ca-file = Confiar também nas autoridades deste arquivo PEM (senão STEPWISE_CA_FILE, `ca_file` do arquivo de configuração, SSL_CERT_FILE)
help-cli-stepwise-client-cert = Apresentar este certificado de cliente (PEM; pode conter também a chave)
help-cli-stepwise-client-key = A chave privada do certificado de cliente (PEM)
# The commands and their options.
help-cli-demo = O assistente sobre o simulador embutido
help-cli-demo-autoplay = O cliente simulado conclui o próximo passo a cada poucos segundos
help-cli-demo-fresh = Recomeçar o backend de demonstração: esquecer seus stepsIDs, caches e estados
help-cli-demo-board = Abrir o painel com os veículos do backend de demonstração (ou os de --car/--cars)
help-cli-fleet = O painel: muitos veículos de uma vez, uma linha cada (indique-os com --car, repetido, ou --cars ARQUIVO)
help-cli-serve = Executar o simulador do gateway de passos
help-cli-serve-addr = Endereço de escuta, HOST:PORTA (um nome de host é resolvido)
help-cli-serve-scenario = Arquivo de cenário (JSON); senão o cenário embutido
help-cli-serve-token = Exigir este token (bearer) em cada pedido. Qualquer usuário desta máquina pode lê-lo com `ps`: prefira --token-file ou STEPWISE_SERVE_TOKEN
help-cli-serve-fleet = Adicionar N veículos gerados, F0001..., em estados variados
help-cli-serve-churn = A cada SECONDS segundos, o próximo passo de um veículo gerado ao acaso (F0001…) é concluído; os embutidos ficam para jogar à mão
help-cli-serve-stream-events = Terminar cada fluxo de eventos após os seus primeiros N eventos (para ferramentas que precisam de uma resposta que termine)
help-cli-serve-log = Escrever uma linha por requisição na saída padrão: hora, método, caminho, status, duração
help-cli-serve-tls = Servir HTTPS com um certificado gerado ao iniciar (para localhost e 127.0.0.1)
help-cli-serve-tls-dir = Gravar ali a autoridade (ca.pem), o certificado e a chave (senão sim-tls na pasta de dados)
help-cli-serve-client-ca = Exigir certificados de cliente assinados por esta autoridade (PEM)
help-cli-serve-auth = Ser também o provedor de identidade (`stepwise login`): clientes registrados, scopes, login por dispositivo e por código de autorização (PKCE), tokens de renovação rotativos, revogação; POST /sim/device/CODE/approve ou /deny
help-cli-serve-token-ttl = Validade dos tokens que emite, em segundos
help-cli-login = Fazer login no gateway (--api) com um código aprovado em um navegador
help-cli-login-with-token = Ler em vez disso um token da entrada padrão: por pipe, ou colado em um prompt que não o mostra (nunca de um argumento)
help-cli-logout = Revogar o login no provedor de identidade quando ele oferece revogação, e esquecer o token guardado para o gateway (--api)
help-cli-logout-forget = Esquecer o login aqui mesmo quando não for possível alcançar o provedor de identidade para revogá-lo
help-cli-auth = A entrada: quem, onde o token está guardado, quando expira
help-cli-auth-status = Indica o gateway, onde o token está guardado e quando expira (nunca o token); saída 0 com um token utilizável ou quando o gateway responde sem um, 1 caso contrário
help-cli-auth-status-json = Mostrar JSON
help-cli-steps = Mostrar os passos como lista de verificação (ou JSON); saída 3 enquanto um passo retornado estiver pendente
help-cli-steps-after =
    Com --status todo ou alreadyDone só esses passos são retornados: a saída diz então que está filtrada e nunca dá o serviço como pronto, e a saída 0 só significa que nenhum passo retornado está pendente.

    Com vários veículos (--car repetido, ou --cars ARQUIVO) cada um tem seu bloco, ou com --json um objeto JSON por linha (JSON Lines); saída 1 quando algum veículo falhou (stderr nomeia cada um), senão 3 quando algum tem um passo pendente, senão 0.
help-cli-steps-steps-id = Atualizar pelo stepsID em vez de --car
help-cli-steps-status = Só os passos com este estado
help-cli-steps-reset = Limpar antes o cache de passos (resolve os erros do aplicativo 2312/2317)
help-cli-steps-json = Mostrar JSON em vez da lista de verificação
help-cli-steps-deadline = Parar de esperar depois desses segundos no total (com vários veículos, nomear os que não responderam)
help-cli-doctor = Verificar tudo entre esta máquina e um assistente que funcione; saída 1 quando uma verificação falha
help-cli-doctor-json = Mostrar JSON
help-cli-completions = Mostrar os scripts de autocompletar do shell (bash, zsh, fish, powershell, elvish)
help-cli-completions-shell = O shell para o qual escrever os scripts de autocompletar
help-cli-man = Mostrar a página de manual (roff), p. ex. `stepwise man > stepwise.1`
help-cli-next = Mostrar o próximo passo pendente; saída 3 enquanto restar um
help-cli-next-after = `order` é a resposta do gateway sobre o próximo passo, tal como enviada: essa resposta numera à sua maneira o passo que retorna (a do SDK dá 1), então pode diferir da ordem do mesmo passo em `stepwise steps`.
help-cli-next-steps-id = O stepsID cujo próximo passo se pede (`stepwise steps` o mostra)
help-cli-next-json = Mostrar JSON
# Wrong arguments, said before anything runs.
cli-arg-error = stepwise: erro: { $message }
cli-arg-login-trouble = stepwise: aviso: nenhum token é enviado: { $why }
cli-arg-warning = stepwise: aviso: { $what }
device-unkept = o id do dispositivo não pode ser guardado em { $path } ({ $why }): cada execução é um dispositivo novo para o gateway, que recusa os stepsID de execuções anteriores como de outro dispositivo. Corrija isso: mova o que está no caminho, ou deixe este usuário gravar ali
cli-waiting-limited = stepwise: o gateway limita as requisições (HTTP 429): aguardando { $secs } s como ele pede, depois uma nova tentativa (Ctrl-C interrompe)
cli-waiting-limited-past-deadline = stepwise: o gateway limita as requisições (HTTP 429) e pede para aguardar { $secs } s, mais que os { $left } s que restam do prazo (--deadline): o comando para no prazo. Dê um --deadline maior para aguardar, ou tente de novo mais tarde
cli-arg-not-used = { $command } não usa { $option }: { $why }
cli-arg-why-demo-api = funciona sempre sobre o simulador embutido. Para um gateway execute `stepwise --api URL`
cli-arg-why-demo-token-file = o simulador embutido não precisa de token. Para um gateway execute `stepwise --api URL --token-file PATH`
cli-arg-why-login-token-file = login guarda um token lido da entrada padrão, nunca de um arquivo informado com ele: `stepwise login --with-token < PATH`
cli-arg-why-logout-token-file = logout esquece o login guardado para o gateway, e não lhe envia nenhum token. Retire a opção
cli-arg-why-serve-api = ele é o próprio gateway. Aponte os clientes para o --addr dele
cli-arg-why-concurrency = ele é o gateway e não consulta nenhum gateway por conta própria; --concurrency é para os clientes que o consultam. Retire a opção
cli-arg-why-concurrency-next = ele pede a próxima etapa de um veículo, em um só pedido: nada roda ao mesmo tempo. Retire a opção
cli-arg-why-serve-car = o simulador responde por todos os veículos do seu cenário (escolha um com --scenario)
cli-arg-why-session-report = os relatórios de sessão vêm do assistente. Retire a opção
cli-arg-why-serve-client-cert = é o que um cliente apresenta. Para exigir certificados de cliente use serve --tls --client-ca ARQUIVO
cli-arg-why-doctor-report = mostra o seu relatório em vez disso. Use --json e redirecione a saída para guardá-lo
cli-arg-doctor-one-car = doctor verifica um só veículo: informe um só --car (sem --cars); os veículos de um painel se verificam com `stepwise steps --cars ARQUIVO`
cli-arg-why-print-report = mostra o seu resultado em vez disso. Redirecione a saída para guardá-lo, p. ex. `--json > steps.json`
cli-arg-why-sign-in-car = a entrada é por gateway, não por veículo. Retire a opção
cli-arg-why-next-car = só pergunta por --steps-id. Obtenha um stepsID com `stepwise steps --car ID`
cli-arg-why-steps-cars = --steps-id pede uma só lista. Retire um dos dois
cli-arg-serve-token-twice = serve toma o token a exigir de --token ou de --token-file, não de ambos
cli-arg-serve-token-empty = serve --token está vazio, e assim não exigiria nenhum token. Indique o token, ou retire --token para um simulador aberto a todos
cli-arg-serve-churn = serve --churn precisa de --fleet N: conclui passos dos veículos gerados. Adicione p. ex. --fleet 200
cli-arg-seconds = indique um número de segundos de 0.1 a 86400, p. ex. 2
cli-arg-empty = está vazio: informe um valor, ou omita a opção para o valor padrão
cli-arg-id = um id tem de 1 a { $max } letras a–z, A–Z, dígitos, '-' ou '_'
cli-arg-addr-no-port = falta a porta; indique HOST:PORTA, p. ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-no-host = falta o host em { $port }; indique HOST:PORTA, p. ex. 127.0.0.1:{ $port } (ou 0.0.0.0:{ $port } para a rede da oficina)
cli-arg-addr-port = a porta não é um número de 0 a 65535; indique HOST:PORTA, p. ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-host = o host não é um endereço nem um nome de host; indique HOST:PORTA, p. ex. 127.0.0.1:8080, localhost:8080 ou [::1]:8080
cli-arg-addr-scheme = começa com um esquema (http:// ou https://), que --addr não aceita; indique só HOST:PORTA, p. ex. { $given }
cli-arg-addr-ip = o endereço IP { $host } não é válido: cada uma de suas quatro partes é um número de 0 a 255; indique HOST:PORTA, p. ex. 127.0.0.1:8080 ou 192.168.1.20:8080
cli-arg-report-folder = --report { $path } é uma pasta. Indique um nome de arquivo dentro dela, p. ex. { $example }
cli-arg-report-slash = --report { $path } termina com uma barra, como o caminho de uma pasta, e essa pasta não existe. Informe um nome de arquivo, p. ex. session.md
cli-arg-report-not-a-file = --report { $path } não é um arquivo comum (um dispositivo, um pipe ou um link), e o relatório o substituiria. Indique o caminho de um arquivo novo ou comum, p. ex. sessao.md
cli-arg-report-is-cars = --report { $path } é o arquivo de ids dado com --cars: o relatório sobrescreveria a lista de veículos. Dê outro nome ao relatório, p. ex. sessao.md
cli-arg-report-is-token-file = --report { $path } é o arquivo de token dado com --token-file: o relatório sobrescreveria o token. Dê outro nome ao relatório, por exemplo session.md
cli-arg-report-is-config = --report { $path } é o arquivo de configuração que esta execução lê: o relatório sobrescreveria as configurações. Dê outro nome ao relatório, por exemplo session.md
cli-arg-report-not-report = --report { $path } já é um arquivo que não é um relatório do stepwise: o relatório o substituiria. Dê outro nome ao relatório, p. ex. sessao.md, ou mova antes esse arquivo para outro lugar
cli-arg-report-in-data = --report { $path } está na pasta de dados do stepwise ({ $dir }), onde ele guarda os logins e o id do dispositivo: o relatório poderia sobrescrevê-los. Dê ao relatório um caminho fora dela, por exemplo session.md
cli-arg-report-parent-file = --report { $path }: { $parent } não é uma pasta. Escolha outro caminho
cli-arg-report-no-folder = --report { $path }: a pasta { $parent } não existe. Crie-a ou escolha outro caminho
cli-arg-report-unwritable = --report { $path } não pode ser gravado ({ $why }). Escolha um caminho com permissão de escrita
cli-arg-report-unwritable-kept = --report { $path } não pode ser escrito ({ $why }). O relatório da sessão, com as notas, foi escrito em { $kept } no lugar; verifique o que mudou nesse caminho desde que o assistente começou
cli-arg-unknown-lang = idioma desconhecido { $given } em { $place }; stepwise fala { $codes }
cli-arg-unknown-lang-config = idioma desconhecido { $given } em lang do arquivo de configuração; stepwise fala { $codes }
cli-arg-man-failed = não foi possível gerar a página de manual: { $error }
cli-arg-cars-unreadable = não foi possível ler --cars { $path }: { $error }. Verifique o caminho (um id por linha, ou um CSV)
cli-arg-cars-workbook = --cars { $path } é uma pasta de trabalho do Excel, não texto: no Excel, salve com Salvar como, "CSV UTF-8", e informe esse arquivo
cli-arg-cars-not-text = --cars { $path } não é um arquivo de texto (tem caracteres de controle): informe um arquivo de texto com um carAssociationID por linha, ou um CSV
cli-arg-cars-bad = --cars { $path }: { $error }
cars-bad-line = linha { $line } "{ $id }"
cars-bad-more = e mais { $n }
cars-bad = { $lines }: não é um carAssociationID (de 1 a { $max } letras a–z, A–Z, algarismos, '-' ou '_'). Corrija ou remova { $count ->
    [0] essas linhas
    [one] essa linha
   *[other] essas linhas
}
cars-excel-number = Uma linha contém um número longo como o Excel o escreve (por exemplo 9,87654E+11): no Excel, formate a coluna como Texto, digite os ids de novo e salve novamente.
cars-heading-no-ids = a primeira linha "{ $heading }" não indica nenhuma coluna como carAssociationID, e nenhuma coluna abaixo contém só ids (um VIN ou uma placa não é um carAssociationID). Dê à coluna dos ids o título carAssociationID (ou ID do veículo), ou coloque um id por linha
cars-heading-ambiguous = a primeira linha "{ $heading }" não diz qual coluna contém o carAssociationID, e { $count } colunas abaixo poderiam contê-lo. Dê à coluna dos ids o título carAssociationID (ou ID do veículo), ou coloque um id por linha
cli-arg-cars-empty = --cars { $path } não contém nenhum carAssociationID. Coloque um id por linha
cli-arg-fleet-needs-cars = fleet precisa de veículos: indique --car ID (repetido) ou --cars ARQUIVO, p. ex. `stepwise fleet --cars ids.txt`
cli-arg-steps-needs-car = steps precisa de --car ID, --cars ARQUIVO ou --steps-id ID
steps-reset-asked = O cache de passos foi redefinido (resetSteps=true): a lista abaixo é a resposta do gateway após a redefinição.
cli-wrong-device-hint = Este dispositivo obtém o próprio stepsID com `stepwise steps --car ID`; informe esse em --steps-id.
cli-wrong-device-reset = O cache de etapas não foi redefinido: redefina-o pelo carAssociationID, com `stepwise steps --car ID --reset`.
cli-wrong-device-unkept = Esta execução não conseguiu guardar seu id de dispositivo (veja o aviso acima): cada execução é então um dispositivo novo, e um stepsID só vale na execução que o obteve. Corrija primeiro a pasta de dados.
cli-arg-output-failed = não foi possível gravar a saída: { $error }. Verifique para onde vai a saída padrão (disco cheio?)
cli-arg-runtime = não foi possível iniciar o runtime assíncrono: { $error }
cli-arg-dumb-terminal = o assistente não consegue desenhar em um terminal simples (TERM=dumb). Para scripts use `stepwise steps --car ID [--json]`, ou defina TERM, p. ex. TERM=xterm-256color
cli-arg-demo-scripts = Para os veículos da demo, `stepwise steps --car 987654` (ou 111111, 222222, 333333, 444444) responde a partir do mesmo simulador embutido só onde nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no arquivo de configuração); os F0001… da demo do painel só existem dentro dela
cli-arg-no-terminal = o assistente precisa de um terminal interativo. Para scripts use `stepwise steps --car ID [--json]`
cli-arg-report-written = Relatório de sessão gravado em { $path }
cli-arg-report-empty = Nada a relatar: nesta sessão nenhum veículo foi aberto e nenhuma nota foi escrita ({ $path } registra isso).
cli-arg-report-notes-kept = Suas notas foram guardadas: nenhum --report foi dado, e a sessão terminou sem um segundo q, então o relatório da sessão foi escrito em { $path }
cli-arg-report-notes-unkept = Suas notas não puderam ser escritas em nenhum relatório (os relatórios da pasta de dados também não podem ser escritos); aqui estão, para copiar:
cli-arg-report-earlier-kept = O relatório anterior nesse caminho foi guardado como { $path }
cli-arg-internal-error = o stepwise parou após um erro interno (a mensagem está acima); o arquivo de log tem os detalhes para o suporte.
cli-arg-scenario-bad = { $error }. Corrija o arquivo ou retire --scenario
scenario-unreadable = não foi possível ler o cenário { $path }: { $error }
scenario-not-json = o cenário { $path } não é o JSON de um cenário ({ $detail })
scenario-unknown-member = contém um membro { $member }, que um cenário não tem, na linha { $line }, coluna { $column }
scenario-missing-member-at = falta o membro { $member } no objeto que termina na linha { $line }, coluna { $column }
scenario-shape-at = a forma dele difere da de um cenário na linha { $line }, coluna { $column }
scenario-cut = o cenário { $path } para antes de o JSON terminar (linha { $line }, coluna { $column }): o arquivo está cortado
scenario-syntax = o cenário { $path } não é JSON válido na linha { $line }, coluna { $column } (falta uma aspa, uma vírgula ou um colchete, ou não é um arquivo JSON): corrija-o ali
scenario-bad-id = o cenário { $path }: o carAssociationID { $id } não é feito de letras a–z, A–Z, dígitos, - ou _
scenario-id-twice = o cenário { $path }: o carAssociationID { $id } aparece duas vezes
scenario-step-names = o cenário { $path }: cada passo de { $id } precisa de um nome, cada nome uma só vez
cli-arg-addr-unresolved = não foi possível resolver --addr { $addr }: { $error }. Indique um endereço IP ou um nome de host que esta máquina conheça, p. ex. 127.0.0.1:8080
cli-arg-addr-nothing = --addr { $addr } não resulta em nenhum endereço. Indique um endereço IP, p. ex. 127.0.0.1:8080
cli-arg-listen-failed = não foi possível escutar em { $addr }: { $error }. Escolha outro --addr
cli-arg-bound-unknown = não foi possível saber o endereço associado a { $addr }. Escolha outro --addr
cli-arg-sim-stopped = o simulador parou: { $error }
cli-arg-tls-no-dir = nenhuma pasta de dados onde gravar os certificados. Indique --tls-dir PASTA
cli-arg-tls-dir-failed = não foi possível criar { $path }: { $error }. Indique outro --tls-dir
cli-arg-tls-write-failed = { $error }. Indique outro --tls-dir
cli-arg-client-ca-unreadable = não foi possível ler o arquivo --client-ca { $path }: { $error }. Verifique o caminho
cli-arg-client-ca-bad = { $error }. Verifique o arquivo --client-ca
cli-arg-tls-authority-written = Autoridade gravada em { $path }: os clientes confiam nela com --ca-file { $path }
cli-arg-tls-client-cert = Um certificado de cliente desta autoridade, para testar um gateway que exija um (serve --client-ca { $ca }): --client-cert { $path }
cli-arg-tls-authority-kept = Autoridade de uma execução anterior mantida em { $path } (apague ali ca.pem, cert.pem e key.pem para ter novos): os clientes confiam nela com --ca-file { $path }
cli-arg-tls-kept-uncovered = Atenção: o certificado guardado em { $path } foi feito para { $names }, não para { $missing }: clientes que usam { $missing } em --api terão um erro de certificado. Apague ca.pem, cert.pem e key.pem em { $dir } para que sejam feitos novos (os clientes passam então a confiar no novo ca.pem)
cli-arg-tls-kept-bad = os arquivos TLS que já estão em { $dir } não podem ser usados ({ $error }). Eles ficam como estão: apague ali ca.pem, cert.pem e key.pem para que novos sejam criados, ou indique outro --tls-dir
sim-tls-library = a biblioteca TLS recusou a configuração: { $error }
sim-tls-write = { $path } não pode ser gravado: { $error }
sim-tls-cert-none = cert.pem não contém nenhum certificado PEM (nenhum bloco BEGIN CERTIFICATE)
sim-tls-cert-not-pem = cert.pem não é PEM válido (um bloco está danificado)
sim-tls-key-none = key.pem não contém nenhuma chave privada PEM
sim-tls-key-mismatch = cert.pem e key.pem não combinam (a chave não é a do certificado)
sim-tls-client-ca-none = o arquivo --client-ca { $path } não contém nenhum certificado PEM (nenhum bloco BEGIN CERTIFICATE): indique o arquivo PEM da autoridade que emite os certificados cliente
sim-tls-client-ca-not-pem = o arquivo --client-ca { $path } não é PEM válido (um bloco está danificado)
sim-tls-client-ca-not-authority = o arquivo --client-ca { $path } contém um certificado que não pode servir de autoridade ({ $detail })
cli-arg-tls-partial = { $dir } tem { $present } mas não todos os arquivos ca.pem, cert.pem e key.pem: nada é sobrescrito (clientes podem confiar nessa autoridade). Coloque os que faltam, apague esses, ou informe outro --tls-dir
cli-arg-tls-client-ca-required = São exigidos certificados de cliente assinados por { $path }
cli-arg-sim-listening = simulador do stepwise escutando em { $url } ({ $count ->
        [0] { $count } associações
        [one] 1 associação
       *[other] { $count } associações
    }; { $required }; Ctrl-C para)
cli-arg-sim-token-either = exige o token (bearer) ou um token de login
cli-arg-sim-token-bearer = exige um token (bearer)
cli-arg-sim-token-signed-in = exige um token de login
cli-arg-sim-token-none = nenhum token exigido
cli-arg-sim-open-network = Atenção: { $url } pode ser acessado de outras máquinas e não pede nenhum token: qualquer pessoa nessa rede pode usar as chamadas de controle (/sim/…: concluir ou revogar passos, aprovar logins). Exija um token com --token-file CAMINHO, ou escute apenas em 127.0.0.1.
cli-arg-sim-reach = Outras máquinas e celulares o alcançam em { $url }: informe esse endereço a --api nelas (o QR do guia do cliente também apontará para lá)
cli-arg-sim-device-sign-in = entrada por dispositivo ativa: os tokens duram { $seconds } s; aprove um código com POST /sim/device/CODE/approve (ou /deny), ou abra { $url }/device

## Command-line errors: configuration, networks, sign-in storage
# O arquivo de configuração; { $file } é o caminho dele, ou o caminho e a variável que o indica
err-config-named-by = { $path } (indicado por STEPWISE_CONFIG)
err-config-not-utf8 = o arquivo de configuração { $file } não é texto UTF-8. Salve-o como TOML em UTF-8
err-config-missing = o arquivo de configuração { $file } não existe. Crie-o, ou corrija ou remova STEPWISE_CONFIG
err-config-folder-named = o arquivo de configuração { $file } é uma pasta, não um arquivo. Corrija STEPWISE_CONFIG ou remova a variável
err-config-folder = o arquivo de configuração { $file } é uma pasta, não um arquivo. Remova-a ou coloque ali um arquivo de configuração
err-config-unreadable = não foi possível ler o arquivo de configuração { $file }: { $kind }. Torne-o legível para o seu usuário
err-config-unreadable-other = não foi possível ler o arquivo de configuração { $file }: { $kind }. Corrija o que está errado ali, ou aponte STEPWISE_CONFIG para outro arquivo de configuração
err-config-invalid-at = o arquivo de configuração { $file } não é válido na linha { $line }, coluna { $column }: { $why }. Chaves conhecidas: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-backslash = o arquivo de configuração { $file }, linha { $line }: uma barra invertida num texto entre "…" inicia um escape (\t é uma tabulação, \n uma quebra de linha), então um caminho do Windows se quebra ali. Escreva o caminho entre aspas simples ('C:\Users\eu\tok'), ou com / ou \\ no lugar de cada \
err-config-empty-path = o arquivo de configuração { $file }, linha { $line }: { $key } está vazio, então não nomeia nenhum arquivo. Informe o caminho do arquivo, ou remova a linha
err-config-invalid = o arquivo de configuração { $file } não é válido: { $why }. Chaves conhecidas: api, token, token_file, docs_base_url, ca_file, client_cert, client_key, lang, issuer, client_id, scopes, audience
err-config-syntax-at = o arquivo de configuração { $file } não é válido na linha { $line }, coluna { $column }: { $why }
err-config-syntax = o arquivo de configuração { $file } não é válido: { $why }
config-unknown-key = { $key } não é uma chave que o stepwise conheça
config-wants-text = este valor deve ser texto entre aspas (chave = "valor")
config-quote = um valor de texto vai entre aspas (chave = "valor")
config-unclosed = um texto entre aspas não está fechado. Termine-o com a aspa com que ele começa (" ou ')
config-no-equals = uma chave e o seu valor são ligados por = (chave = "valor"), não por dois-pontos nem por um espaço
config-extra-equals = entre uma chave e o seu valor vai um só = (chave = "valor")
config-duplicate = esta chave aparece pela segunda vez. Mantenha só uma
config-one-per-line = uma só chave = "valor" por linha, sem nada depois do valor além de um comentário #
config-table = este arquivo não aceita cabeçalho [seção]: cada ajuste é uma linha própria, chave = "valor"
config-no-key = falta a chave antes do =: cada ajuste é uma linha chave = "valor", p. ex. api = "https://gateway.example"
# Arquivo de token e token dado como texto; { $from } diz onde foi indicado
err-from-config-token = o arquivo de configuração
err-from-stdin = a entrada padrão
err-from-config-token-file = token_file do arquivo de configuração
err-from-config-ca-file = ca_file do arquivo de configuração
err-token-file-missing = o arquivo de token { $path } (de { $from }) não existe. Confira o caminho, ou salve o token ali
err-token-file-unexpanded = o arquivo de token { $path } (de { $from }) não existe: num caminho só ~/ ou $HOME/ no início são expandidos, qualquer outra variável fica como está. Informe o caminho completo
err-token-file-folder = o arquivo de token { $path } (de { $from }) é uma pasta. Indique o arquivo que contém o token, não a pasta dele
err-token-file-denied = o arquivo de token { $path } (de { $from }) não pode ser lido: permissão negada. Torne-o legível para o seu usuário (ex. chmod 600)
err-token-file-unreadable = o arquivo de token { $path } (de { $from }) não pode ser lido ({ $kind }). Confira o caminho e o arquivo
err-token-file-not-utf8 = o arquivo de token { $path } (de { $from }) não é texto UTF-8. Coloque nele o token do gateway como texto puro
err-token-file-empty = o arquivo de token { $path } (de { $from }) está vazio. Coloque nele o token do gateway, sozinho em uma linha
err-token-file-characters = o arquivo de token { $path } (de { $from }) contém espaços ou caracteres que um token não pode ter. Coloque o token sozinho em uma linha, exatamente como o gateway o forneceu
err-token-file-bearer = o arquivo de token { $path } (de { $from }) traz a palavra Bearer antes do token: tire a palavra Bearer e deixe o token sozinho na linha; o stepwise acrescenta Bearer por conta própria
err-token-file-wrapped = o arquivo de token { $path } (de { $from }) contém o token { $shape }: deixe só o próprio token, sozinho na linha, exatamente como o gateway o emitiu
err-serve-token-file-characters = o arquivo de token { $path } (de serve --token-file) tem espaços, aspas ou caracteres que um token não pode ter. O token do simulador é você que escolhe: ponha um só de letras, dígitos e - . _ ~ + /, sozinho na linha
err-token-file-lines = o arquivo de token { $path } (de { $from }) tem { $n ->
    [0] { $n } linhas
    [one] { $n } linha
   *[other] { $n } linhas
}. Um arquivo de token contém só o token, em uma linha
err-token-text = o token em { $from } contém espaços, quebras de linha ou caracteres que um token não pode ter. Informe o token exatamente como o gateway o emitiu
err-token-text-bearer = o token em { $from } começa com a palavra Bearer: tire a palavra Bearer e informe só o token; o stepwise acrescenta Bearer por conta própria
err-token-text-wrapped = o token em { $from } foi dado { $shape }: informe o próprio token, exatamente como o gateway o emitiu
err-serve-token-text = o token do simulador (serve --token ou STEPWISE_SERVE_TOKEN) tem espaços, aspas ou caracteres que um token não pode ter. Você o escolhe: use só letras, dígitos e - . _ ~ + /
token-shape-quoted = entre aspas
token-shape-assignment = como nome=valor (uma linha de script ou de arquivo .env)
token-shape-json = dentro de um JSON (como a resposta de um provedor de identidade: o valor do seu access_token é o token)
token-shape-punctuated = com um ';' ou ',' depois (copiado de uma linha de comando ou de uma lista)
token-shape-header = como uma linha de cabeçalho inteira (`Authorization: Bearer …`; o stepwise acrescenta sozinho o cabeçalho e a palavra Bearer)
err-token-text-empty = o token em { $from } está vazio. Informe o token exatamente como o gateway o emitiu, ou remova a configuração
err-config-token-not-text = o arquivo de configuração { $file } traz um token que não é texto entre aspas (o valor não é mostrado). Escreva-o como token = "…", exatamente como o gateway o emitiu
err-file-too-large = mais de { $limit } KiB, muito mais do que um arquivo desses jamais contém
err-io-not-found = arquivo não encontrado
err-io-denied = permissão negada (este usuário não pode lê-lo)
err-io-folder = é uma pasta, não um arquivo
err-io-not-text = não é texto UTF-8
# URLs
err-user-info-gateway = a URL do gateway contém um nome de usuário ou senha (user:password@host), que o stepwise não mostra nem envia. Retire-os de --api, STEPWISE_API ou api no arquivo de configuração; o token do gateway vai em --token-file, STEPWISE_TOKEN ou no arquivo de configuração
err-user-info-docs = a URL base da documentação contém um nome de usuário ou senha (user:password@host), que o stepwise não mostra nem envia. Retire-os de { $place }; o token do gateway vai em --token-file, STEPWISE_TOKEN ou no arquivo de configuração
err-docs-url = a URL base da documentação { $url } não é uma URL http(s). Corrija { $place }, ex. https://help.dealer.example
err-docs-url-why = a URL base da documentação { $url } não pode ser usada: { $why }. Corrija { $place }, p. ex. https://help.dealer.example
docs-place-config = docs_base_url no arquivo de configuração
err-api-scheme = a URL do gateway { $url } não diz http:// nem https://: coloque http:// ou https:// na frente, p. ex. http://{ $url }
err-api-scheme-typo = a URL do gateway { $url } tem o esquema digitado errado (precisa de ://): escreva { $fixed }
err-api-empty = --api (ou STEPWISE_API) foi informado mas está vazio: informe a URL do gateway, p. ex. --api http://127.0.0.1:8080, ou omita-o para usar o simulador integrado
err-api-empty-in-file = `api` no arquivo de configuração ({ $path }) está vazio: informe ali a URL do gateway, p. ex. api = "http://127.0.0.1:8080", ou remova a linha para usar o simulador embutido
# Certificados, chaves e proxies; { $why } termina a frase que nomeia o arquivo
err-ca-file = o arquivo de CA { $path } { $why }. Informe um arquivo PEM da autoridade com --ca-file
err-ca-file-from = o arquivo de CA { $path } (de { $from }) { $why }. Corrija { $from } para indicar um arquivo PEM da autoridade, ou remova essa configuração
err-client-cert = o certificado de cliente { $path } { $why }. Informe um certificado PEM com --client-cert (e a chave dele com --client-key)
err-client-cert-bare = o certificado de cliente { $path } { $why }
err-key-not-in-cert = o certificado de cliente { $path } { $why }; coloque a chave no mesmo arquivo ou informe --client-key. Informe um certificado PEM com --client-cert (e a chave dele com --client-key)
err-client-key = a chave de cliente { $path } { $why }. Informe a chave privada do certificado (PEM) com --client-key
err-key-mismatch = a chave de cliente { $key } não corresponde ao certificado { $cert }. Informe a chave com que este certificado foi criado
err-key-without-cert = --client-key { $key } foi informado sem --client-cert. Informe os dois
err-key-without-cert-config = `client_key` no arquivo de configuração indica { $key }, mas nenhum certificado de cliente está definido: acrescente `client_cert` ao arquivo de configuração (ou informe --client-cert)
err-pem-missing = não pode ser lido (não existe)
err-pem-denied = não pode ser lido (permissão negada)
err-pem-unreadable = não pode ser lido ({ $kind })
err-pem-not-pem = não é um PEM válido ({ $detail })
err-pem-no-certificate = não contém nenhum certificado PEM (nenhum bloco BEGIN CERTIFICATE)
err-pem-no-key = não contém nenhuma chave privada PEM (nenhum bloco BEGIN PRIVATE KEY)
err-pem-encrypted = está cifrada com uma frase secreta, e chaves cifradas não são suportadas. Decifre-a uma vez com `openssl pkey -in CHAVE -out ABERTA.key` e mantenha esse arquivo privado
err-pem-bad-key = não é uma chave PEM válida ({ $detail })
err-pem-no-authority = não contém nenhuma autoridade certificadora utilizável
err-pem-unusable = não pode ser usado ({ $detail })
err-pem-cert-version1 = não pode ser usado: é um certificado X.509 versão 1 (sem extensões), que a biblioteca TLS do stepwise não consegue apresentar, mesmo onde um gateway o aceitaria; peça a quem os emite um certificado versão 3
err-pem-cert-refused = não pode ser usado: a biblioteca TLS recusa este certificado; peça um novo a quem os emite
err-proxy = o proxy em { $from } não pode ser usado: { $why }. Informe-o como http://HOST:PORT, ou remova { $from } para conectar diretamente
err-proxy-socks = o proxy em { $from } é um proxy SOCKS ({ $scheme }://), e o stepwise só fala com proxies HTTP. Peça o proxy HTTP da rede e informe-o como http://HOST:PORT, ou remova { $from } para conectar diretamente
err-proxy-not-url = não é uma URL ({ $detail })
err-proxy-scheme = o esquema { $scheme } não é suportado (só proxies http://)
err-proxy-no-host = falta o host
err-proxy-userinfo-chars = o usuário ou a senha nele contém \, /, ? ou #, que uma URL só aceita ali codificados em porcentagem: escreva \ como %5C (DOMINIO%5Cusuario), / como %2F, ? como %3F e # como %23
err-tls-setup = não foi possível configurar o TLS: { $detail }
# Onde os logins ficam guardados: o chaveiro ou o arquivo de logins; { $why } e { $kind } são palavras do sistema
err-store-choice = STEPWISE_TOKEN_STORE deve ser keyring, file ou auto, não { $value }
err-store-keyring-unusable = STEPWISE_TOKEN_STORE=keyring, mas o chaveiro não pode ser usado: { $why }. { $fix }
err-store-nowhere = não há nem chaveiro nem pasta de dados para guardar o token. Defina HOME, ou informe um token com --token-file
err-store-no-data-dir = não há pasta de dados para guardar o token; defina HOME
err-store-encode = não foi possível codificar o login: { $detail }
err-store-unreadable = o login guardado para { $gateway } não pode ser lido. Execute `stepwise logout` e depois `stepwise login`
err-store-too-slow = o chaveiro não respondeu em { $secs } s. Desbloqueie-o, ou defina STEPWISE_TOKEN_STORE=file
err-store-keyring-entry = o chaveiro recusou uma entrada para { $gateway }: { $why }
err-store-keyring-read = não foi possível ler o login do chaveiro ({ $name }): { $why }. { $fix }
err-store-keyring-write = não foi possível guardar o login no chaveiro ({ $name }): { $why }. { $fix }
err-store-keyring-too-small = o login é longo demais para o chaveiro ({ $name }), que guarda no máximo { $max } bytes por entrada. Defina STEPWISE_TOKEN_STORE=file para guardá-lo em um arquivo
err-store-keyring-remove = não foi possível remover o login do chaveiro ({ $name }): { $why }
keyring-no-bus = nenhum barramento de sessão da área de trabalho (D-Bus) pode ser alcançado, então nenhum chaveiro pode ser consultado (uma sessão SSH ou de serviço, ou um contêiner, não tem um)
keyring-locked = o chaveiro está bloqueado, ou o pedido de desbloqueio foi fechado
keyring-no-service = nenhum serviço de chaveiro (Secret Service, como GNOME Keyring ou KWallet) responde
keyring-malformed = o segredo guardado lá está danificado
keyring-other = o chaveiro respondeu: { $detail }
keyring-fix-no-bus = Execute o stepwise na sessão da área de trabalho, ou defina STEPWISE_TOKEN_STORE=file
keyring-fix-locked = Desbloqueie-o, ou defina STEPWISE_TOKEN_STORE=file
keyring-fix-start = Desbloqueie-o ou inicie-o, ou defina STEPWISE_TOKEN_STORE=file
err-store-file-damaged = o arquivo de logins { $path } está danificado: não é o JSON que o stepwise escreve (foi lido, mas não entendido). Ele guarda os logins de todos os gateways, e nenhum pode ser usado: mova-o para outro lugar (ou apague-o)
err-login-file-damaged = { $why }, e depois execute este comando de novo
err-store-file-read = não foi possível ler o arquivo de logins { $path }: { $kind }. Confira as permissões dele
err-store-file-in-the-way = não foi possível ler o arquivo de logins { $path }: { $kind }. Mova o que está no caminho, para que a pasta de dados seja uma pasta
err-store-file-is-folder = não foi possível ler o arquivo de logins { $path }: é uma pasta, não um arquivo. Mova ou remova essa pasta (o stepwise grava seus logins num arquivo com esse nome) e entre de novo
err-store-file-remove = não foi possível apagar o arquivo de logins { $path }: { $kind }
err-store-file-folder = não foi possível criar a pasta do arquivo de logins { $path }: { $kind }. Confira as permissões da pasta de dados
err-store-file-create = não foi possível criar o arquivo de logins { $path }: { $kind }. Confira as permissões da pasta de dados
err-store-file-write = não foi possível gravar o arquivo de logins { $path }: { $kind }. Confira as permissões da pasta de dados
err-store-file-replace = não foi possível substituir o arquivo de logins { $path }: { $kind }. Confira as permissões da pasta de dados
# Login em um terminal simples: stepwise login, logout e auth status
err-login-no-gateway = { $command } precisa de um gateway: informe --api URL (ou STEPWISE_API, ou `api` no arquivo de configuração). O simulador embutido não precisa de login
cli-api-from-env = O endereço do gateway veio de STEPWISE_API, não de --api: corrija-o lá, ou informe --api (que tem prioridade)
cli-api-from-config = O endereço do gateway veio de `api` no arquivo de configuração { $path }, não de --api: corrija-o lá, ou informe --api (que tem prioridade)
err-login-cancelled = login cancelado; nada foi guardado
err-login-keep-failed = não foi possível guardar o token: { $detail }
err-login-read-failed = não foi possível ler o token: { $detail }
err-login-terminal = não foi possível ler o token do terminal: { $kind }. Passe-o pela entrada padrão: `stepwise login --with-token < token.txt`
err-login-stdin = não foi possível ler o token da entrada padrão: { $kind }. Passe-o como texto, em uma linha
err-login-token-lines = a entrada padrão tem várias linhas, e um token é uma só: dê o token sozinho, numa linha (um token quebrado por um e-mail ou terminal precisa ser juntado de novo); nada foi guardado
err-login-token-refused = o gateway em { $gateway } recusou este token (HTTP 401), por isso ele não foi guardado. Peça o token atual a quem administra o gateway
err-login-token-dropped = o token não foi guardado: o gateway em { $gateway } responde como se nenhum token tivesse chegado (seu desafio não nomeia nenhum erro), e a chamada passou pelo proxy { $proxy }, que pode estar removendo o cabeçalho Authorization, então não se sabe se o gateway aceita o token. Defina NO_PROXY={ $host } se o gateway for acessível sem o proxy, ou peça a quem opera o proxy para deixar passar o cabeçalho Authorization
err-login-token-untried-not-kept = o token não foi guardado, pois não pôde ser testado: { $why }. Guarde-o quando o proxy deixar a requisição passar (ou o NO_PROXY o evitar)
err-login-token-refused-signin = o gateway em { $gateway } recusou este token (HTTP 401), então ele não foi guardado. Este gateway oferece login, cujos tokens se renovam sozinhos: rode `stepwise login` (sem --with-token)
err-login-refused-through-proxy = A chamada passou pelo proxy { $proxy } (de { $from }), que pode remover o cabeçalho Authorization no caminho, de modo que o gateway não viu nenhum token: antes de tudo, defina NO_PROXY={ $host } e tente de novo, se o gateway puder ser alcançado sem o proxy
err-login-token-scope = o gateway em { $gateway } aceitou este token, mas diz que falta o escopo { $scope } (seu WWW-Authenticate: insufficient_scope), então os passos seriam recusados com ele: ele não foi guardado. Peça a quem fornece os tokens um com esse escopo
err-login-token-scope-unnamed = o gateway em { $gateway } aceitou este token, mas diz que falta um escopo que ele não nomeia (seu WWW-Authenticate: insufficient_scope), então os passos seriam recusados com ele: ele não foi guardado. Pergunte a quem opera o gateway qual, e peça a quem fornece os tokens um que o tenha
err-login-kept-unchanged = { $words }. O login guardado antes para este gateway não muda
err-login-no-token = a entrada padrão não contém um token utilizável: passe uma linha de caracteres visíveis (sem espaços), no máximo 8 KiB
err-logout-failed = não foi possível remover o token: { $detail }
err-logout-unreached = a revogação no provedor de identidade falhou ({ $why }), então o login fica guardado aqui: o token de renovação continua válido no provedor, e `stepwise logout` poderá revogá-lo quando o provedor puder ser alcançado. Para esquecê-lo aqui sem revogar, execute `stepwise logout --forget`
err-logout-wait = a revogação no provedor de identidade falhou por enquanto ({ $why }), e o provedor pede para esperar { $wait }, então o login fica guardado aqui: execute `stepwise logout` de novo depois dessa espera para revogá-lo. Para esquecê-lo aqui sem revogar, execute `stepwise logout --forget`
err-logout-proxy = a revogação no provedor de identidade falhou: { $words }. O login fica guardado aqui até que `stepwise logout` possa revogá-lo; para esquecê-lo aqui sem revogar, execute `stepwise logout --forget`
err-logout-unreached-access = a revogação no provedor de identidade falhou ({ $why }), então o login fica guardado aqui: o token continua válido no provedor até vencer, e `stepwise logout` poderá revogá-lo quando o provedor puder ser alcançado. Para esquecê-lo aqui sem revogar, execute `stepwise logout --forget`
# O login por dispositivo do gateway: descoberta e respostas do provedor de identidade; { $said } é o erro do próprio provedor
err-signin-endpoint-device = endereço
err-signin-endpoint-token = endereço de token
err-signin-endpoint-verification = endereço de verificação
err-signin-address-not-url = não é uma URL
err-signin-address-plain-http = http simples atrás de um gateway https
err-signin-address-not-http = não é uma URL http(s)
err-signin-address-no-host = sem host
err-signin-address = o { $what } de login do gateway { $url } não pode ser usado: { $why }. Avise o operador do gateway, ou faça login com `stepwise login --with-token`
err-signin-address-provider = o { $what } de login do provedor de identidade { $url } não pode ser usado: { $why }. O código não pode ser aprovado ali: avise quem administra o provedor de identidade
err-signin-discovery-status = o gateway em { $gateway } respondeu HTTP { $status } à descoberta de login ({ $path }). Tente de novo mais tarde, ou faça login com `stepwise login --with-token`
err-signin-discovery-blocked = a descoberta do login em { $gateway } recebeu uma página web com HTTP { $status }{ $said }, não a resposta do gateway: algo na frente do gateway (um firewall, um firewall de aplicação ou um proxy reverso) a recusou, então não se sabe se o gateway oferece login. Pergunte a quem opera a rede se ela bloqueia este endereço
err-signin-discovery-silent = o gateway em { $gateway } aceitou a conexão, mas a descoberta de login ({ $path }) não respondeu a tempo. Tente de novo mais tarde; se continuar, avise quem opera o gateway
err-signin-discovery-named = o gateway em { $gateway } indica seus metadados de login em { $url } (no desafio do seu HTTP 401), e esse endereço não pôde ser usado ({ $met }): a resposta do próprio gateway estava certa, o endereço de login dele não. Avise quem opera o gateway; se souber qual é o provedor de identidade deste gateway, informe-o com --issuer (ou STEPWISE_ISSUER, `issuer` no arquivo de configuração)
named-met-page = uma página web, não metadados JSON
named-met-not-http = não é um endereço http(s)
named-met-no-server = os metadados não nomeiam nenhum servidor de autorização
err-signin-discovery-not-json = o documento de descoberta de login do gateway ({ $path }) não é JSON válido. Avise o operador do gateway, ou faça login com `stepwise login --with-token`
err-signin-issuer-not-json = os metadados do provedor de identidade ({ $url }) não são JSON válido: confira --issuer (ou STEPWISE_ISSUER) se foi informado, senão avise quem administra o gateway; ou entre com `stepwise login --with-token`
err-signin-issuer-page = os metadados do provedor de identidade ({ $url }) são uma página web{ $said }, não o JSON dele: o endereço é um site ou um portal, não o provedor de identidade. Confira --issuer (ou STEPWISE_ISSUER) se foi informado, senão avise quem administra o gateway; se um portal responde no lugar do provedor, pergunte a quem administra a rede
err-signin-discovery-missing = o documento de descoberta de login do gateway não tem { $field }: ele não oferece login por dispositivo. Faça login com `stepwise login --with-token`
err-login-no-device = --device pede login por dispositivo, e o provedor de identidade de { $gateway } não oferece (seus metadados não têm device_authorization_endpoint). Entre sem --device numa máquina onde um navegador possa abrir, ou guarde um token dado por quem opera o gateway (`stepwise login --with-token`)
err-signin-not-offered-status = o gateway em { $gateway } não oferece login (sem /.well-known/oauth-authorization-server, HTTP { $status }). Se --api estiver certo, ele aceita um token fixo de quem o opera: guarde esse token com `stepwise login --with-token`
err-signin-not-offered = o gateway em { $gateway } não oferece login (sem /.well-known/oauth-authorization-server). Se --api estiver certo, ele aceita um token fixo de quem o opera: guarde esse token com `stepwise login --with-token`
err-login-not-needed = o gateway em { $gateway } não oferece login, e respondeu sem token: ele não precisa de nenhum aqui, então não há onde entrar nem nada a guardar. Rode `stepwise steps --car ID` como está
err-login-refused-at-once = login feito, mas o gateway em { $gateway } recusou o token que o provedor de identidade acabou de emitir (HTTP 401, testado uma vez): ele não aceita nenhum dos tokens deste provedor como são pedidos. Pergunte a quem administra o gateway qual audience e quais scopes ele quer, e informe a audience com --audience ou `audience` no arquivo de configuração; o login fica guardado até lá (`stepwise logout` o esquece)
err-login-scope-at-once = login feito, mas o gateway em { $gateway } diz que falta o escopo { $scope } ao token que o provedor de identidade acabou de emitir (seu WWW-Authenticate: insufficient_scope, tentado uma vez), então os passos seriam recusados com ele. { $why } O login fica guardado até lá (`stepwise logout` o esquece)
login-scope-not-granted = O provedor concedeu só { $granted }: peça ao administrador dele que conceda { $scope } ao cliente stepwise.
login-scope-asked = O login pediu { $scope }, então entrar de novo pede o mesmo: pergunte ao administrador do provedor se ele concede { $scope } ao stepwise, ou ao operador do gateway qual escopo ou audiência ele quer.
login-scope-not-asked = Entre de novo pedindo-o: `stepwise login --scope "{ $ask }"` (ou `scopes` no arquivo de configuração).
err-signin-too-large = a resposta de { $url } é maior que { $kib } KiB. Confira se --api aponta para um gateway de passos
err-signin-compressed-proxy = a chamada de login a { $url } voltou comprimida ({ $encoding }) pelo proxy { $proxy }, embora o stepwise peça as respostas como são: o proxy, ou o servidor atrás dele, as comprime. Pergunte a quem opera o proxy, ou avise o operador do gateway; defina NO_PROXY={ $host } se for alcançável sem o proxy, o que também mostra quem faz isso
err-signin-compressed = a chamada de login a { $url } voltou comprimida ({ $encoding }), embora o stepwise peça as respostas como são: algo na frente do provedor de identidade as comprime. Avise o operador do gateway
err-signin-redirected = a chamada de login para { $url } recebeu um redirecionamento para { $to }; o stepwise não envia códigos nem tokens de login a outro endereço. Peça ao administrador do gateway o endereço do próprio provedor de login
err-signin-code-refused = o provedor de identidade se recusou a dar um código ({ $said }). Tente de novo mais tarde, ou faça login com `stepwise login --with-token`
err-signin-code-busy = o provedor de identidade não pode dar um código por enquanto ({ $said }). Espere um minuto e execute `stepwise login` de novo, ou faça login com `stepwise login --with-token`
err-signin-code-busy-wait = o provedor de identidade não pode dar um código por enquanto ({ $said }) e pede para esperar { $wait }. Execute `stepwise login` de novo depois dessa espera
err-signin-metadata-busy = o provedor de identidade em { $issuer } não pode dar seus metadados de login por enquanto (HTTP { $status }): está ocupado ou limitando requisições, e o emissor está certo. Tente de novo em um minuto
err-signin-metadata-busy-wait = o provedor de identidade em { $issuer } não pode dar seus metadados de login por enquanto (HTTP { $status }) e pede para esperar { $wait }: está ocupado ou limitando requisições, e o emissor está certo. Tente de novo depois dessa espera
err-signin-not-device-code = a resposta do provedor de identidade em { $url } não é um código de dispositivo (RFC 8628). Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
err-signin-device-code-lacks = a resposta do provedor de identidade em { $url } é um código de dispositivo sem o seu { $member } (RFC 8628 §3.2), então o login não pode continuar. Avise quem administra o provedor
err-signin-bad-device-code = o provedor de identidade deu um código de dispositivo inutilizável. Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
err-signin-unsafe-user-code = o provedor de identidade deu um código que não pode ser mostrado com segurança ({ $code }). Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
err-signin-not-token-answer = a resposta de token do provedor de identidade não pode ser usada: não é uma resposta de token (RFC 6749). Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
err-signin-not-bearer = a resposta de token do provedor de identidade não pode ser usada: o token não é do tipo Bearer. Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
err-signin-token-characters = a resposta de token do provedor de identidade não pode ser usada: o token tem caracteres que um cabeçalho não pode levar. Confira o endereço do emissor (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração) se houver um; senão, avise quem opera o gateway
err-signin-token-empty = a resposta de token do provedor de identidade não é utilizável: o access_token dela está vazio. Avise quem administra o provedor; se um emissor foi informado (--issuer, STEPWISE_ISSUER ou `issuer` no arquivo de configuração), verifique se é o certo
err-signin-stopped = o provedor de identidade interrompeu o login ({ $said }). Execute `stepwise login` de novo
err-signin-grant-unsupported = o provedor de identidade não oferece o login com um código em outro dispositivo ({ $said }): entrar assim de novo recebe o mesmo. Entre num navegador onde ele oferecer isso (`stepwise login` sem --device, numa máquina com área de trabalho), ou guarde um token com `stepwise login --with-token`; avise quem administra o provedor se o fluxo de dispositivo deveria funcionar
err-signin-code-too-short = o código do provedor de identidade dura { $lives }, mas o provedor pede para ser consultado só a cada { $every }: o código vence antes de poder ser consultado uma única vez, então nenhuma aprovação consegue passar (nada foi consultado). Avise quem administra o provedor: a validade ou o intervalo de consulta dos códigos de dispositivo está configurado errado
err-signin-code-expired-early = o provedor de identidade disse que o código expirou após { $after }, embora lhe tivesse dado { $lives }: nenhuma aprovação poderia ter vindo antes. O relógio dele ou a vida dos códigos está errado (ou o código já foi usado): avise quem administra o provedor
err-signin-code-lifetime-none = o código de dispositivo do provedor de identidade dura { $said } s segundo a resposta dele (expires_in): expira antes que alguém possa aprová-lo, então nada foi consultado. Avise quem administra o provedor: a duração dos códigos de dispositivo dele está configurada errada
err-signin-poll-failing = enquanto o código aguardava aprovação, o provedor de identidade falhou { $times } vezes seguidas ({ $said }), então o login foi abandonado. Aguarde { $wait } e entre de novo para obter um novo código; se persistir, avise quem opera o provedor
err-signin-poll-failing-page = enquanto o código aguardava aprovação, o endereço de tokens do provedor de identidade foi respondido { $times } vezes seguidas com uma página web ({ $said }): algo na frente do provedor (um balanceador de carga ou um proxy reverso) está falhando, então o login foi abandonado. Aguarde { $wait } e entre de novo para obter um novo código; se persistir, avise quem opera o provedor
err-signin-limited = o provedor de identidade está limitando requisições (HTTP 429) e pede para esperar { $wait }, mais do que o código dura. Execute `stepwise login` de novo depois dessa espera
err-signin-refresh-failed = o provedor de identidade não conseguiu renovar o token ({ $said }). Tente de novo em um minuto
err-signin-refresh-failed-wait = o provedor de identidade não conseguiu renovar o token por enquanto ({ $said }) e pede para esperar { $secs } s. Tente de novo depois disso
err-signin-renewal-lost = a renovação do token enviada para { $url } não teve resposta (a conexão fechou ou ficou muda depois da requisição): o provedor de identidade pode ter renovado o login, gastando o token de renovação guardado aqui. Tente de novo uma vez; se então disser que o login foi gasto, faça login de novo com `stepwise login`
err-signin-renewal-lost-proxy = a renovação do token não teve resposta: { $why }. Se a renovação chegou ao provedor de identidade, ele pode ter gastado o refresh token guardado aqui: quando o proxy deixar passar as requisições, tente de novo; se então disser que o login se esgotou, entre de novo com `stepwise login`
err-signin-keeping-failed = não foi possível guardar o token: { $detail }. Faça login de novo
err-signin-opening-failed = não foi possível abrir o armazenamento de tokens: { $detail }. Faça login de novo
err-over-revoked = o login em { $gateway } expirou ou foi revogado ({ $said })
err-over-spent = o login em { $gateway } foi gasto por uma renovação anterior cuja resposta se perdeu no caminho ({ $said }): muito provavelmente o provedor de identidade o renovou então, e o token de renovação guardado aqui está gasto
err-over-marked = o provedor de identidade encerrou o login em { $gateway } ({ $said })
err-over-client-refused = o provedor de identidade recusa o client id { $client } do login em { $gateway } ({ $said }): não o conhece, ou não o deixa mais renovar logins. Defina o id registrado lá para o stepwise com --client-id ID ou `client_id` no arquivo de configuração, ou pergunte ao administrador do provedor se este cliente ainda é permitido
err-over-no-renewal = o provedor de identidade não deixa o client id { $client } renovar o login em { $gateway } ({ $said }): cada login dura o quanto dura o token, e pedir de novo não muda isso. Para fazer login menos vezes, peça ao administrador do provedor que permita refresh tokens para este cliente
err-over-renewal-refused = o provedor de identidade recusou renovar o login em { $gateway } ({ $said }), e recusaria de novo o mesmo pedido
err-over-refused-fresh = o gateway recusa até um token que o provedor de identidade acabou de renovar: não aceita nenhum token deste provedor do jeito que é pedido, e fazer login do mesmo jeito de novo dá no mesmo. Pergunte a quem opera o gateway qual audience e quais scopes ele espera, e informe a audience com --audience ou `audience` no arquivo de configuração
err-over-refused-new = o gateway recusa um token que o provedor de identidade emitiu há poucos minutos e que não pode ser renovado: não aceita nenhum token deste provedor do jeito que é pedido, e fazer login do mesmo jeito de novo dá no mesmo. Pergunte a quem opera o gateway qual audience e quais scopes ele espera, e informe a audience com --audience ou `audience` no arquivo de configuração
err-over-refused-unseen = o gateway responde como se nenhum token tivesse chegado (seu desafio não nomeia nenhum erro), mesmo com um que o provedor de identidade acabou de dar: algo entre esta máquina e o gateway (um proxy, um balanceador de carga) pode estar descartando o cabeçalho Authorization, ou o gateway não aceita nenhum token deste provedor. Pergunte a quem opera a rede e o gateway; se a causa for o token, informe a audience que o gateway espera com --audience ou `audience` no arquivo de configuração
err-over-no-token-address = o login guardado não tem um endereço de token utilizável

## stepwise doctor
# The words beside ✓ ! ✗ -, so no line depends on colour alone.
doctor-mark-ok = ok
doctor-mark-warning = aviso
doctor-mark-failed = falha
doctor-mark-skipped = pulado
# The name of each check, in the order they are shown.
doctor-check-config = Configuração
doctor-check-device-id = Id do dispositivo
doctor-check-gateway = Endereço do gateway
doctor-check-dns = Resolução de nome
doctor-check-proxy = Proxy
doctor-check-tcp = Conexão TCP
doctor-check-tls = TLS
doctor-check-client-cert = Certificado cliente
doctor-check-token = Token
doctor-check-clock = Relógio
doctor-check-first-list = Primeira lista
doctor-check-refresh = Releitura stepsID
doctor-check-next-step = Próximo passo
doctor-check-status-filter = Filtro de estado
doctor-check-error-body = Corpo de erro
doctor-check-events = Eventos ao vivo
doctor-check-guidance = Páginas do cliente
doctor-summary = { $failed ->
        [0] { $failed } falhas
        [one] { $failed } falha
       *[other] { $failed } falhas
    }, { $warnings ->
        [0] { $warnings } avisos
        [one] { $warnings } aviso
       *[other] { $warnings } avisos
    }, { $ok } ok, { $skipped ->
        [0] { $skipped } pulados
        [one] { $skipped } pulado
       *[other] { $skipped } pulados
    }
doctor-target-unusable = (configurações inutilizáveis)
doctor-target-embedded = o simulador embutido
doctor-skip = não executado
doctor-skip-settings = não executado: as configurações são inutilizáveis
doctor-skip-no-gateway = não executado: nenhum gateway
doctor-skip-bad-address = não executado: nenhum endereço de gateway utilizável
doctor-skip-unreachable = não executado: o gateway não pode ser alcançado
doctor-skip-proxy = não executado: nenhuma passagem pelo proxy
doctor-skip-insecure = não executado: nenhuma conexão segura com o gateway
doctor-skip-ca-file = não executado: o arquivo de CA não pode ser usado
doctor-skip-run-limit = não executado: o limite de { $limit } s da execução inteira do doctor foi atingido (sua resposta mais lenta até agora levou { $secs } s)
doctor-config-no-dir = nenhuma pasta de configuração neste sistema: valem os padrões
doctor-config-none = nenhum arquivo em { $path }: valem os padrões
doctor-device-kept = guardado em { $path }
doctor-device-no-folder = não guardado: nenhuma pasta de dados é conhecida nesta máquina, então cada execução é um dispositivo novo para o gateway
doctor-config-read = { $path } lido
doctor-config-fix = Corrija o arquivo, ou aponte STEPWISE_CONFIG para outro
doctor-gateway-no-sim = nenhum gateway configurado, e o simulador embutido não inicia: { $error }
doctor-gateway-unusable = { $address } não pode ser usado: { $why }
doctor-gateway-fix = Informe --api como https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-fix-env = Corrija STEPWISE_API, de onde veio este endereço (ou informe --api, que tem prioridade), como https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-fix-config = Corrija `api` no arquivo de configuração, de onde veio este endereço (ou informe --api, que tem prioridade), como https://gateway.example ou http://127.0.0.1:8080
doctor-gateway-embedded = nenhum configurado: o simulador embutido em { $url }
doctor-gateway-from-env = { $url } (de STEPWISE_API)
doctor-gateway-from-config = { $url } (de `api` no arquivo de configuração)
doctor-url-scheme = só http e https são aceitos
doctor-url-no-host = falta o host
doctor-proxy-none = nenhum: conexão direta
doctor-proxy-no-proxy = NO_PROXY dispensa o proxy para { $host }: conexão direta
doctor-proxy-other-scheme = nenhum para gateways { $scheme }://: { $var } está definido, mas só serve gateways do outro esquema; conexão direta. Se este gateway precisa passar por esse proxy, defina { $wanted } (ou ALL_PROXY)
doctor-proxy-used = { $proxy } (de { $from })
doctor-proxy-407 = { $proxy } respondeu à chamada ao gateway com 407 Proxy Authentication Required: quer usuário e senha
doctor-proxy-407-refused = { $proxy } respondeu à chamada ao gateway com 407 Proxy Authentication Required: recusou o usuário e a senha da variável do proxy
doctor-proxy-401 = { $proxy } respondeu à chamada ao gateway com HTTP 401 e um login (Basic): o do próprio proxy, ou o de um servidor web atrás dele
doctor-proxy-401-refused = { $proxy } respondeu à chamada ao gateway com HTTP 401 e um login (Basic) embora a variável do proxy traga um usuário e uma senha
doctor-proxy-answered = { $proxy } respondeu ele mesmo à chamada ao gateway com HTTP { $status }: a requisição nunca chegou ao gateway
doctor-proxy-401-page = a chamada ao gateway pelo { $proxy } recebeu uma página web HTTP 401 sem desafio: a do próprio proxy, ou uma que ele repassou da frente do gateway (um portal, um proxy reverso), que pede um login próprio
doctor-proxy-bare-401 = a chamada ao gateway pelo { $proxy } recebeu um HTTP 401 vazio, sem corpo e sem desafio: julgado abaixo como o do gateway (um token), embora o próprio proxy possa tê-lo dado
doctor-proxy-gateway-down = { $proxy } recebeu a chamada ao gateway e respondeu HTTP { $status }: não conseguiu alcançar o gateway, que não está rodando (veja Corpo de erro)
doctor-proxy-tunnel = { $proxy } (de { $from }) { $why }
doctor-tunnel-timeout = não respondeu ao CONNECT em { $secs } s
doctor-tunnel-broken = interrompeu o pedido CONNECT: { $error }
doctor-tunnel-refused = recusou o túnel: { $status }
doctor-tunnel-limited = respondeu ele mesmo { $status } ao CONNECT: o proxy está limitando os pedidos (nenhuma regra contra este destino)
doctor-tunnel-none = respondeu { $status } ao CONNECT: não abre túnel nenhum, então é um servidor web, ou um proxy que não consegue levar https://. O gateway não foi consultado
doctor-tunnel-not-http = respondeu ao CONNECT sem HTTP ({ $said }): a variável do proxy aponta para algo que não é um proxy HTTP
doctor-tunnel-closed = fechou a conexão sem responder ao CONNECT: não se sabe se deixaria o túnel passar. Tente de novo; se persistir, pergunte a quem administra o proxy se ele deixa passar CONNECT para este host
doctor-tunnel-unreached = não conseguiu alcançar o gateway pelo túnel: { $status }
doctor-tunnel-password-wanted = quer usuário e senha para o túnel ({ $status }): coloque-os na variável do proxy como http://usuario:senha@proxy:porta
doctor-tunnel-password-refused = recusou o usuário e a senha da variável do proxy ({ $status }): confira-os
doctor-tunnel-portal = respondeu ao túnel com { $status } e nenhum desafio: um login próprio (o de um portal), que nenhum usuário e senha na variável do proxy responde. Faça login nele num navegador nesta máquina, ou pergunte a quem administra o proxy
doctor-tunnel-windows = pede login do Windows para o túnel ({ $status }, Negotiate ou NTLM), que o stepwise não consegue dar: nenhum usuário e senha na variável do proxy o responde. Peça a quem administra o proxy que deixe passar este host sem ele, ou defina NO_PROXY para ele se puder ser alcançado diretamente
doctor-fix-proxy = Confira a variável do proxy, ou coloque este host em NO_PROXY
doctor-fix-tunnel-refused = A variável do proxy está certa: o proxy respondeu e recusa este destino. Peça a quem gerencia o proxy que deixe passar CONNECT para { $host }, ou defina NO_PROXY={ $host } se o gateway for alcançável diretamente
doctor-fix-tunnel-none = Confira { $from }: deve indicar um proxy HTTP que faça túnel de https (host e porta; muitas vezes porta 3128 ou 8080)
doctor-fix-tunnel-retry = Tente de novo; se persistir, pergunte a quem gerencia o proxy, ou defina NO_PROXY={ $host } se o gateway for alcançável diretamente
doctor-fix-tunnel-unreached = O proxy não conseguiu alcançar { $host }: confira se o gateway está no ar e se o host em --api está certo; se estiver, pergunte a quem administra o proxy
doctor-dns-address = { $ip } é um endereço: nada a resolver
doctor-dns-address-proxy = o proxy { $ip } é um endereço: nada a resolver (o proxy resolve o nome do gateway)
doctor-dns-resolved-proxy = o proxy { $host } → { $addrs } (o proxy resolve o nome do gateway)
doctor-dns-failed = não foi possível resolver { $host }: { $error }
doctor-dns-failed-proxy = não foi possível resolver o proxy { $host }: { $error }
doctor-dns-fix = Confira o nome do host em --api (ou na variável do proxy) e as configurações de DNS desta máquina
doctor-dns-fix-proxy = Confira o nome do proxy na variável do proxy e as configurações de DNS desta máquina, ou defina NO_PROXY para o host do gateway se ele for alcançável sem o proxy
doctor-proxy-unresolved = { $proxy } (de { $from }): o nome dele é desconhecido para o DNS desta máquina
doctor-dns-timeout = sem resposta para { $host } em { $secs } s
doctor-dns-timeout-proxy = sem resposta para o proxy { $host } em { $secs } s
doctor-dns-timeout-fix = Confira as configurações de DNS desta máquina
doctor-tcp-no-address = nenhum endereço
doctor-tcp-timeout = { $addr }: sem resposta em { $secs } s
doctor-tcp-failed = não foi possível conectar ao gateway: { $error }
doctor-tcp-failed-proxy = não foi possível conectar ao proxy: { $error }
doctor-tcp-fix = Confira se o gateway está rodando, a porta em --api e algum firewall
doctor-tcp-connected = conectado a { $addr } em { $ms } ms
doctor-tcp-connected-proxy = conectado ao proxy em { $addr } em { $ms } ms
doctor-tls-plain = não usado: o endereço é http:// simples
doctor-tls-skipped-cert = não tentado: o certificado cliente não pode ser usado
doctor-tls-bad-name = { $host } não é um nome TLS utilizável
doctor-tls-certificate = certificado
doctor-tls-issued = certificado para { $subject }, emitido por { $issuer }
doctor-tls-timeout = nenhum handshake TLS em { $secs } s
doctor-tls-timeout-fix = Confira se a porta em --api fala TLS; se falar, avise quem opera o gateway
doctor-tls-trusted = { $version }; { $issued }; confiável
doctor-tls-trusted-left = { $version }; { $issued }, { $days ->
        [0] faltam { $days } dias
        [one] falta { $days } dia
       *[other] faltam { $days } dias
    }; confiável
doctor-tls-ends-soon = Avise quem opera o gateway que o certificado dele vence em breve
doctor-tls-asks-cert = { $issued }; confiável; o gateway pede um certificado cliente
doctor-tls-unknown-issuer = { $issued }: o emissor não é confiável aqui (emissor desconhecido)
doctor-tls-unknown-issuer-proxy = { $issued }: o emissor não é confiável aqui (emissor desconhecido) (através do proxy { $proxy }, que pode inspecionar o TLS)
doctor-tls-add-ca-file = Acrescente --ca-file { $path }
doctor-tls-add-ca-of = Acrescente --ca-file ARQUIVO, sendo ARQUIVO o certificado (PEM) de { $issuer }; peça-o ao administrador da rede
doctor-tls-add-ca = Acrescente --ca-file ARQUIVO com o certificado (PEM) da autoridade emissora
doctor-tls-use-ca-file = Use --ca-file { $path }: o arquivo de autoridade em uso ({ $given }) não assinou este certificado
doctor-tls-ca-file-not-issuer = O arquivo de autoridade em uso ({ $given }) não assinou este certificado: talvez contenha um certificado de servidor em vez da autoridade, ou uma autoridade refeita desde então. Peça a quem opera o gateway o certificado atual da autoridade (PEM)
doctor-tls-intermediate-missing = O arquivo de autoridade em uso ({ $given }) não contém { $issuer }, que assinou este certificado, e o gateway não enviou nenhuma autoridade intermediária com ele. Ou o gateway não envia a intermediária: peça ao operador que sirva a cadeia completa (certificado, depois intermediárias); enquanto isso, adicionar o certificado de { $issuer } ao arquivo funciona. Ou o arquivo contém outra autoridade: peça o certificado da autoridade do gateway (PEM) ao operador
doctor-tls-expired = { $issued }: vencido
doctor-tls-expired-ago = { $issued }: vencido há { $days ->
        [0] { $days } dias
        [one] { $days } dia
       *[other] { $days } dias
    }
doctor-fix-date-operator = Confira a data desta máquina; se estiver certa, avise quem opera o gateway
doctor-tls-not-yet = { $issued }: ainda não é válido
doctor-fix-date = Confira a data e a hora desta máquina
doctor-tls-wrong-host = { $issued }: não foi feito para o host em --api
doctor-tls-wrong-host-fix = Use em --api o nome de host ou o endereço para o qual o certificado foi feito
doctor-tls-wrong-host-names = { $issued }: feito para { $names }, não para o host em --api
doctor-tls-wrong-host-names-fix = Use em --api um nome para o qual o certificado foi feito ({ $names }), ou peça um certificado do gateway para o nome que você usa
doctor-tls-no-host-names = { $issued }: não nomeia nenhum host (sem nome alternativo do titular; só o nome comum não é lido)
doctor-tls-no-host-names-fix = Peça a reemissão do certificado do gateway com o nome de host como nome alternativo do titular; nenhum --api resolve isso
doctor-tls-old-version = { $issued }: um certificado X.509 versão 1, que o TLS não aceita mais
doctor-tls-old-version-fix = Peça o certificado do gateway reemitido na versão 3, com o nome de host como nome alternativo do sujeito; nenhum --api, --ca-file ou certificado de cliente resolve
doctor-tls-closed = o servidor aceitou a conexão e a fechou durante o handshake TLS: talvez não fale TLS nesta porta, ou recuse este cliente. Confira a porta em --api
doctor-tls-authority-as-server = { $issued }: certificado de uma autoridade (CA:TRUE) usado como o do servidor
doctor-tls-authority-as-server-fix = Peça a quem opera o gateway para usar um certificado de servidor assinado por essa autoridade; guarde o certificado da autoridade para --ca-file
doctor-tls-not-tls = o que respondeu não fala TLS
doctor-tls-not-tls-fix = Confira a porta, ou use http:// se o gateway não tiver TLS
doctor-tls-refused = o gateway recusou o handshake ({ $alert })
doctor-tls-refused-fix = Confira --api; se estiver certo, avise quem opera o gateway
doctor-tls-wants-cert = o gateway pede um certificado cliente
doctor-fix-client-cert = Informe um com --client-cert ARQUIVO --client-key ARQUIVO
doctor-tls-other = falhou: { $error }
doctor-tls-other-fix = Confira --api, --ca-file e o certificado cliente
doctor-tls-proxy-cut = o proxy { $proxy } abriu o túnel para { $host }, depois o handshake TLS através dele foi interrompido ({ $why }): o proxy, ou o que está atrás dele, o cortou
doctor-tls-proxy-cut-fix = Pergunte a quem administra o proxy se ele deixa passar TLS para este host, ou defina NO_PROXY={ $host } se o gateway for alcançável sem o proxy
doctor-cert-required = nenhum informado, e o gateway exige um
doctor-cert-fix-config = Informe um com --client-cert ARQUIVO --client-key ARQUIVO (ou client_cert/client_key no arquivo de configuração)
doctor-cert-not-asked = nenhum informado; o gateway não pediu
doctor-cert-none = nenhum informado
doctor-cert-none-plain = nenhum informado (http:// simples)
doctor-cert-unusable-plain = não apresentado em http:// simples, mas não poderia ser apresentado a um gateway https://: { $why }
doctor-cert-about = { $path }: { $subject }, emitido por { $issuer }
doctor-cert-refused = { $about }: o gateway o recusou ({ $alert })
doctor-cert-unsupported = { $about }: o gateway o recusou como não suportado; quase sempre ele não foi feito para um cliente (o certificado de um servidor)
doctor-cert-fix-client-use = Use um certificado emitido para autenticação de cliente
doctor-cert-expired-said = { $about }: segundo o gateway, venceu
doctor-cert-not-taken = { $about }: o gateway não o aceitou
doctor-cert-fix-authority = Use um certificado emitido pela autoridade em que o gateway confia
doctor-cert-expired = { $about }: vencido há { $days ->
        [0] { $days } dias
        [one] { $days } dia
       *[other] { $days } dias
    }
doctor-cert-fix-new = Peça um novo certificado cliente
doctor-cert-not-yet = { $about }: ainda não é válido
doctor-cert-ends-soon = { $about }: { $days ->
        [0] faltam { $days } dias
        [one] falta { $days } dia
       *[other] faltam { $days } dias
    }
doctor-cert-fix-soon = Peça em breve um novo certificado cliente
doctor-cert-ok-left = { $about }; a chave confere; { $days ->
        [0] faltam { $days } dias
        [one] falta { $days } dia
       *[other] faltam { $days } dias
    }
doctor-cert-ok = { $about }; a chave confere
doctor-source-config-token = o token do arquivo de configuração
doctor-source-config-token-file = o token_file do arquivo de configuração { $path }
doctor-source-nowhere = lugar nenhum
doctor-token-wanted = nenhum informado, e o gateway quer um
doctor-token-wanted-said = nenhum informado, e o gateway quer um (HTTP 401), dizendo “{ $said }”
doctor-token-fix-give = Faça login com `stepwise login`, ou informe um com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
doctor-token-fix-fixed = Ele não oferece login: seu token vem de quem o administra. Guarde esse token com `stepwise login --with-token`, ou informe-o com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
doctor-token-embedded = o simulador embutido não precisa de um
doctor-token-not-asked = nenhum informado; o gateway não pediu
doctor-token-not-checked = nenhum informado; não verificado: nenhum gateway de passos respondeu
doctor-token-not-checked-unusable = nenhum informado; não verificado: o que respondeu não pôde ser usado (a linha Primeira lista diz como)
doctor-token-none-limited = nenhum informado; não verificado: as requisições estão limitadas (HTTP 429)
doctor-token-none-failing = nenhum informado; não verificado: as respostas foram falhas (HTTP 5xx)
doctor-fix-proxy-password = O proxy quer usuário e senha: coloque-os na variável do proxy (http://usuario:senha@proxy:porta)
doctor-fix-proxy-password-refused = O proxy recusou o usuário e a senha da variável do proxy: confira-os (caracteres como @ : / % precisam ser codificados em porcentagem)
doctor-fix-not-a-gateway = Este endereço não é um gateway de passos: dê a --api a URL base sob a qual fica pims/subscription/steps
doctor-fix-client-cert-front = A entrada TLS do gateway quer um certificado de cliente: informe um com --client-cert ARQUIVO --client-key ARQUIVO
doctor-fix-gateway-failed = O gateway falhou: tente de novo em um minuto; se persistir, avise quem opera o gateway
doctor-fix-call-not-offered = A lista funciona com este --api: o gateway não oferece esta chamada, ou algo na frente dele não a encaminha. Avise o operador do gateway
doctor-fix-proxy-5xx = O proxy respondeu com a própria página de erro: não conseguiu alcançar o gateway. Confira o host e a porta em --api e se o gateway está rodando; se estiverem certos, pergunte a quem gerencia o proxy
doctor-fix-proxy-loopback = O gateway está nesta máquina ({ $host }), e { $from } envia as requisições dele a esse proxy: ele (ou um proxy para o qual encaminha) não alcança os endereços próprios desta máquina. Defina NO_PROXY={ $host }
doctor-fix-loopback-down = Nada escuta em { $host }:{ $port } nesta máquina (tentado diretamente): o gateway não está rodando ali, então o proxy também não pôde alcançá-lo. Confira se ele está rodando e se a porta em --api está certa
doctor-guidance-not-a-page = respondeu 200 com { $kind } e sem idioma: não é uma página de orientação (a página genérica de um portal?), então o QR code leva a docs_base_url, ou às páginas de desenvolvedor arquivadas
doctor-token-embedded-given = origem: { $source }; não é enviado ao simulador embutido
doctor-token-expired = origem: { $source }; vencido há { $ago }
doctor-token-fix-new = Obtenha um novo token
doctor-token-login-unreadable = nenhum enviado: { $why }
doctor-token-fix-login-damaged = Depois de movê-lo, faça login de novo com `stepwise login`, ou informe um token com --token-file CAMINHO, STEPWISE_TOKEN ou `token` no arquivo de configuração
doctor-token-login-unreadable-unneeded = nenhum enviado, e o gateway respondeu sem token. Login guardado: { $why }
doctor-token-expired-taken = de { $source }; a validade diz que terminou há { $ago }, mas o gateway o aceitou
doctor-token-fix-new-soon = Obtenha um token novo antes que o gateway comece a recusar este
doctor-token-refused = origem: { $source }; o gateway o recusou (HTTP 401)
doctor-token-dropped = origem: { $source }; o gateway responde como se nenhum token tivesse chegado (seu desafio não nomeia nenhum erro), e a requisição passou pelo proxy { $proxy }: o proxy pode estar removendo o cabeçalho Authorization
doctor-token-refused-said = origem: { $source }; o gateway o recusou (HTTP 401) dizendo "{ $said }"
doctor-token-scope = origem: { $source }; o gateway o aceitou, mas diz que falta um escopo (HTTP { $status }, insufficient_scope)
doctor-token-fix-refused = Obtenha um novo token, ou confira se ele é para este gateway
doctor-token-fix-dropped = Um token novo seria recusado do mesmo jeito: defina NO_PROXY para este host se o gateway for acessível sem o proxy, ou peça a quem opera o proxy para deixar passar o cabeçalho Authorization
doctor-token-fix-beside-file = Um login guardado para este gateway é aceito por ele (testado agora), e --token-file tem prioridade sobre ele: tire --token-file para usar esse login, ou coloque nesse arquivo o token atual deste gateway
doctor-token-fix-beside-environment = Um login guardado para este gateway é aceito por ele (testado agora), e STEPWISE_TOKEN tem prioridade sobre ele: remova STEPWISE_TOKEN para usar esse login, ou defina-a com o token atual deste gateway
doctor-token-fix-beside-refused = O login guardado para este gateway também é recusado (testado agora): obtenha o token atual deste gateway e renove o login guardado (`stepwise login`, ou `stepwise login --with-token` onde o gateway não oferece login)
doctor-token-expires = origem: { $source }; vence em { $within }
doctor-token-not-tried = origem: { $source }; não tentado (o gateway não foi alcançado)
doctor-token-not-tried-unusable = origem: { $source }; não avaliado: o que respondeu não pôde ser usado (a linha Primeira lista diz como)
doctor-token-failing = origem: { $source }; não julgado: toda resposta foi uma falha (HTTP 5xx), que nada diz do token
doctor-token-limited = origem: { $source }; não tentado: as requisições estão limitadas (HTTP 429)
doctor-token-took = origem: { $source }; o gateway o aceitou (o vencimento não vem escrito nele)
doctor-token-unchecked = origem: { $source }; enviado, mas o gateway responde também sem token: aqui ele não verifica nenhum, então não aceitou nem recusou este
doctor-token-renewed = origem: { $source }; o gateway recusou o token guardado (HTTP 401) e aceitou o renovado para ele, como todo comando o renova
doctor-token-renewal-failed = origem: { $source }; o gateway o recusou (HTTP 401), e renová-lo, como todo comando faria, falhou: { $why }
doctor-token-due-renewal-failed = origem: { $source }; o token tinha expirado, e renová-lo, como todo comando faria, falhou: { $why }
doctor-why-timeout = sem resposta em { $secs } s
doctor-http-setup = não foi possível preparar o HTTP: { $error }
doctor-no-answer = nenhuma resposta utilizável: { $why }
doctor-not-a-list = a resposta não é uma lista de passos: { $error }
doctor-not-a-step = a resposta não é um passo: { $error }
doctor-fix-steps-gateway = Confira se --api aponta para um gateway de passos
doctor-fix-not-a-list-here = --api responde como um gateway de passos (a linha Corpo de erro): o que está errado é a resposta dele para este carAssociationID. Avise quem opera o gateway; o doctor com o id de outro veículo mostra se outros recebem a lista
doctor-fix-proxy-html = A resposta veio pelo proxy: a página pode ser a do próprio proxy (uma página de login ou portal). Defina NO_PROXY={ $host } se o gateway puder ser alcançado sem o proxy; senão, confira se --api aponta para um gateway de passos
doctor-list-cut = a lista foi cortada: { $error }
doctor-fix-cut = Tente de novo; se continuar cortada, o gateway ou algo no caminho (um proxy) corta as respostas: avise quem opera o gateway
doctor-fix-no-answer = Tente de novo; se persistir, o gateway ou algo na frente dele (um proxy, um balanceador de carga) descarta esta chamada: avise o operador do gateway
doctor-fix-unusable = Veio uma resposta, mas nenhuma que o stepwise possa usar, e pedir de novo dá o mesmo: faça o que as palavras acima dizem
doctor-fix-network-proxy = Um proxy desta rede respondeu, embora nenhum esteja configurado aqui: defina HTTPS_PROXY (HTTP_PROXY para http://) como http://usuario:senha@proxy:porta com o endereço dele, ou pergunte ao administrador da rede
doctor-fix-limited = O gateway está limitando as requisições: espere um minuto e execute o doctor de novo
doctor-fix-wait = O gateway pede para esperar { $secs } s: execute o doctor de novo depois disso; se persistir, avise quem opera o gateway
doctor-fix-refused-front = Algo na frente do gateway (um firewall, um WAF ou um proxy reverso) recusou a requisição: peça a quem o administra para liberar esta máquina
doctor-fix-refused-proxy = O proxy, ou algo à frente do gateway, recusou a requisição: pergunte a quem administra o proxy se ele deixa passar este endereço, ou defina NO_PROXY para este host se o gateway puder ser alcançado sem o proxy
doctor-fix-proxy-bare-401 = Dê primeiro o token do gateway (veja a linha Token); se o 401 continuar com um token, pergunte a quem opera o proxy se ele pede um login próprio, ou defina NO_PROXY={ $host } se o gateway puder ser alcançado diretamente
doctor-error-body-no-answer = nenhuma resposta utilizável do gateway: { $why }
doctor-error-body-no-answer-fix = Confira se o gateway está rodando e não está sobrecarregado, e tente de novo
doctor-error-body-dropped = uma requisição sem id não teve resposta ({ $why }) onde um gateway responde 400 com uma mensagem JSON; a primeira lista foi pedida por carAssociationID mesmo assim
doctor-why-wants-tls = o servidor em { $base } fala TLS, e --api diz http://
doctor-fix-use-https = Use https:// em --api (o servidor fala TLS)
doctor-clock-skipped = não executado: nenhum gateway de passos respondeu
doctor-clock-unusable = não executado: o que respondeu não pôde ser usado (a linha Primeira lista diz como)
doctor-clock-limited = não executado: as requisições estão limitadas (HTTP 429); execute doctor de novo após a espera
doctor-clock-failed = não executado: a resposta foi uma falha (HTTP { $status }), sem lista nem corpo de erro do gateway de onde ler o relógio
doctor-error-body-ok = um pedido sem id recebe 400 com uma mensagem JSON ({ $message })
doctor-error-body-other-shape = um pedido sem id recebe 400 com uma mensagem JSON de outra forma comum (RFC 7807 ou OAuth), que o stepwise lê ({ $message })
doctor-error-body-code-only = só o código
doctor-error-body-not-json = um pedido sem id recebe 400, mas sem corpo JSON { $shape }
doctor-fix-error-json = Avise quem opera o gateway: os corpos de erro devem ser JSON
doctor-fix-error-400 = Avise o operador do gateway: uma requisição sem id deveria receber 400 com o corpo de erro. Só se a linha Primeira lista também falhou, confira se --api aponta para um gateway de passos
doctor-fix-error-400-no-car = Talvez isto nem seja um gateway de passos: rode de novo com --car ID. Se a linha Primeira lista então funcionar, avise o operador do gateway que uma requisição sem id deveria receber 400; se não, confira se --api aponta para um gateway de passos
doctor-error-body-401 = não verificado: o gateway quer antes um token válido (HTTP 401)
doctor-error-body-unjudged = não avaliado: a primeira lista também não encontrou um gateway de passos neste endereço
doctor-error-body-unjudged-failed = não avaliado: a primeira lista também não teve resposta
doctor-error-body-unjudged-unusable = não avaliado: a resposta da primeira lista também não pôde ser usada
doctor-error-body-proxy = não avaliado: o proxy respondeu no lugar do gateway
doctor-error-body-gateway-down = não julgado: o gateway não está rodando em { $host }:{ $port } (nada escuta ali, testado diretamente)
doctor-error-body-limited = não avaliado: as requisições estão limitadas (HTTP 429)
doctor-error-body-other = um pedido sem id recebe { $answer } em vez de 400
doctor-error-body-failing = não julgado: uma requisição sem id recebe { $answer }, uma falha que nada diz de como o gateway responde a uma requisição errada
doctor-first-no-car = não tentado: nenhum carAssociationID informado
doctor-first-no-car-fix = Execute de novo com --car ID para testar as chamadas de passos
doctor-first-401 = HTTP 401: o gateway quer um token válido
doctor-first-proxy-login = HTTP 401 com um login (Basic) do proxy, não do gateway: a requisição nunca chegou ao gateway
doctor-first-proxy-page = HTTP 401 com uma página web sem desafio, através do proxy: a do próprio proxy, ou uma que ele repassou da frente do gateway (um portal, um proxy reverso), não um pedido de token de um gateway
doctor-first-proxy-page-401 = HTTP 401 com uma página web sem corpo de erro de gateway, através do proxy: a do próprio proxy, ou uma que ele repassou da frente do gateway (um portal, um proxy reverso)
doctor-basic-prompt = HTTP 401 pedindo um login que um token bearer não pode atender (usuário e senha, ou login do Windows), sem o corpo de erro de um gateway: o login de um servidor web ou de um proxy reverso, não um gateway de passos (que aceita um token bearer)
doctor-front-401 = HTTP 401 com uma página web e sem desafio de login (sem cabeçalho WWW-Authenticate), sem corpo de erro de um gateway: algo na frente do gateway (um proxy reverso, um servidor web ou um portal) pede um login próprio; nenhum token foi avaliado
doctor-fix-front-401 = Se listas vieram deste endereço sem token antes, nenhum token do gateway está faltando: pergunte a quem opera a rede ou o gateway o que pede este login; caso contrário, pergunte a eles se o gateway quer um token ali
doctor-see-token = Veja a linha Token
doctor-see-proxy = Veja a linha Proxy
doctor-first-fix-car = Confira o carAssociationID informado com --car
doctor-first-fix-demo = Nenhum gateway está configurado (nem --api, nem STEPWISE_API, nem `api` no arquivo de configuração), então o doctor verificou a demo embutida, que só conhece { $ids }: para verificar seu gateway, dê --api URL
doctor-first-fix-filter = As palavras do gateway citam o filtro de status (stepsStatus), que o doctor não escolheu: ele pediu todos os passos com stepsStatus=all, o padrão do contrato (steps e o assistente pedem então sem ele). Avise quem opera o gateway
doctor-first-fix-car-or-api = As palavras dele não nomeiam nenhum id: confira o carAssociationID dado com --car; se a linha Corpo de erro recebe o mesmo 404 para uma chamada sem id, --api não aponta para o gateway de passos (o 404 de um roteador): confira --api
doctor-first-no-steps-id = { $count ->
        [0] { $count } passos
        [one] { $count } passo
       *[other] { $count } passos
    } mas nenhum stepsID
doctor-first-fix-steps-id = Avise quem opera o gateway: a lista deve trazer um stepsID
doctor-first-ok = carAssociationID { $car }: { $count ->
        [0] { $count } passos
        [one] { $count } passo
       *[other] { $count } passos
    } ({ $done } { $done ->
        [0] feitos
        [one] feito
       *[other] feitos
    }), stepsID { $steps_id }
doctor-first-slow = O gateway levou até { $secs } s para responder: lento, mas dentro dos { $limit } s que o assistente espera (um gateway ocupado, ou uma linha lenta)
doctor-refresh-ok = { $count ->
        [0] { $count } passos
        [one] { $count } passo
       *[other] { $count } passos
    }
doctor-refresh-fix = A lista relida cita outros passos que a primeira: avise quem opera o gateway
doctor-next-todo = { $name } a fazer
doctor-next-none = nada mais a fazer
doctor-next-nothing = nada
doctor-next-disagrees = { $got }, mas a lista diz { $listed }
doctor-next-fix = Avise quem opera o gateway: o próximo passo não bate com a lista
doctor-filter-ok = stepsStatus=todo devolve { $todo ->
        [0] os { $todo } passos a fazer
        [one] o único passo a fazer
       *[other] os { $todo } passos a fazer
    }
doctor-filter-bad = stepsStatus=todo devolve { $count ->
        [0] { $count } passos
        [one] { $count } passo
       *[other] { $count } passos
    } ({ $stray } fora do a fazer); a lista tem { $todo } a fazer
doctor-filter-unknown = { $bad }; e mais { $unknown } com um status fora do contrato, que o stepwise conta como não feitos
doctor-filter-fix = Avise quem opera o gateway: stepsStatus não é aplicado
doctor-events-ok = oferecidos, e o primeiro evento (a lista atual) chegou na hora: o assistente acompanha as mudanças ao vivo
doctor-events-silent = o fluxo abriu, mas nenhum evento chegou em { $secs } s, embora um gateway envie a lista atual na hora: algo no caminho (um proxy) segura os eventos. O assistente se reconecta e depois consulta periodicamente
doctor-events-other-type = o fluxo abriu e enviou eventos do tipo “{ $kind }”, mas nenhum do tipo steps em { $secs } s: as listas dele chegam com outro tipo de evento que não o do contrato, e o assistente não lê nenhuma. O assistente se reconecta e depois consulta periodicamente
doctor-events-no-list-events = o fluxo abriu e enviou só eventos do tipo “{ $kind }”, sem lista neles, e nenhuma lista em { $secs } s, embora um gateway envie a lista atual na hora. O assistente se reconecta e depois consulta periodicamente
doctor-events-fix-other-type = Avise quem opera o gateway: cada lista deve vir como `event: steps` (ou sem linha event), não como “{ $kind }”
doctor-events-cut = o fluxo fechou antes de o primeiro evento estar completo (após { $bytes } bytes): o gateway o cortou, então o assistente reconecta e depois consulta
doctor-events-empty = a chamada de eventos respondeu e terminou sem enviar nada (0 bytes): ela não serve fluxo de eventos, então o assistente reconecta e depois consulta
doctor-events-not-text = os bytes do fluxo não são texto UTF-8: o assistente o corta, reconecta e depois consulta
doctor-events-error-event = o primeiro evento é um erro, não a lista atual: { $said }
doctor-events-fix-buffered = Peça a quem administra o proxy que deixe passar text/event-stream sem buffer (nginx: proxy_buffering off)
doctor-events-fix-buffered-direct = Nenhum proxy está em uso aqui: avise o operador do gateway que o gateway, ou um proxy reverso na frente dele, retém os eventos ou não envia a lista atual de imediato (nginx: proxy_buffering off)
doctor-events-other-list = o primeiro evento é a lista de outro stepsID que não o pedido: o assistente não a aceita
doctor-events-bad-event = o primeiro evento não é uma lista de passos ({ $error }): o assistente passa a consultar periodicamente
doctor-events-compressed = o fluxo veio compactado, embora o stepwise não o peça: o assistente consulta periodicamente em vez disso
doctor-events-fix-compressed = Peça a quem opera o gateway (ou o proxy) que envie text/event-stream sem compactação
doctor-events-not-stream = responde, mas não com text/event-stream: o assistente consulta periodicamente
doctor-events-page = respondeu com uma página web (HTML), não com text/event-stream: algo na frente do gateway (um proxy, um firewall) pode estar barrando fluxos; o assistente consulta periodicamente
doctor-events-fix = Avise quem opera o gateway: os eventos ao vivo devem ser Server-Sent Events
doctor-events-fix-page = Peça a quem opera a rede na frente do gateway (um proxy, um firewall) para deixar passar text/event-stream; se nada estiver na frente, avise o operador do gateway
doctor-events-fix-2346 = Avise quem opera o gateway: a chamada de eventos dele recusa stepsIDs que a chamada de lista responde
doctor-events-fix-content = Avise o operador do gateway: cada evento deve trazer como dados a lista de passos do stepsID pedido
doctor-events-fix-cut = Avise o operador do gateway (ou quem gerencia um proxy reverso na frente dele) que o fluxo de eventos é fechado no meio do primeiro evento
doctor-events-fix-empty = Avise quem opera o gateway (ou um proxy reverso na frente dele) que a chamada de eventos termina logo sem transmitir: talvez um proxy a retenha ou a corte
doctor-events-fix-error-event = Avise o operador do gateway do que o fluxo de eventos disse: um fluxo deve começar com a lista atual do stepsID pedido, que a chamada da lista acabou de dar
doctor-events-404 = não oferecidos (404): o assistente consulta periodicamente
doctor-events-2346 = recusado (404, código 2346): o fluxo diz não ter passo para o stepsID { $id }, que a chamada da lista acabou de dar: o gateway se contradiz. O assistente consulta em vez disso
doctor-events-http = { $answer }: o assistente consulta periodicamente
doctor-events-limited = { $answer }: o gateway limita o fluxo. O assistente espera { $secs } s, como o gateway pede, com todo pedido a ele, e depois reabre o fluxo: a lista na tela não é atualizada nesse meio-tempo
doctor-events-limited-unnamed = { $answer }: o gateway limita o fluxo. O assistente espera o quanto o gateway pedir, com todo pedido a ele, e depois reabre o fluxo: a lista na tela não é atualizada nesse meio-tempo
doctor-events-no-answer = sem resposta ({ $why }): o assistente reabre o fluxo esperando mais a cada vez, e só consulta periodicamente se uma lista chegar nesse meio-tempo
doctor-events-proxy-held = sem resposta através do proxy { $proxy }, embora as chamadas de lista por ele tenham tido resposta: o proxy retém uma resposta que não termina (ele armazena em buffer o fluxo de eventos). O assistente consulta periodicamente em vez disso
doctor-events-proxy-own = o proxy { $proxy } respondeu ele mesmo HTTP { $status } ao fluxo de eventos, embora as chamadas de lista por ele tenham sido respondidas: o proxy não repassa o fluxo. O assistente consulta em vez disso
doctor-events-fix-proxy-held = Peça a quem administra o proxy que deixe passar text/event-stream sem buffer, ou defina NO_PROXY={ $host } se o gateway for acessível sem ele
doctor-guidance-ok = oferecidas: o código QR e a tecla «o» abrem a página do gateway no idioma do cliente
doctor-guidance-404 = não oferecidas (404): o código QR leva a docs_base_url, ou às páginas arquivadas para desenvolvedores
doctor-guidance-http = { $answer }: o código QR leva a docs_base_url, ou às páginas arquivadas para desenvolvedores
doctor-guidance-no-answer = sem resposta ({ $why }): o código QR leva a docs_base_url, ou às páginas arquivadas para desenvolvedores
doctor-clock-no-date = o gateway não envia o cabeçalho Date: não dá para comparar os relógios
doctor-clock-bad-date = o cabeçalho Date do gateway { $date } não pode ser lido
doctor-clock-ahead = o relógio desta máquina está { $secs } s adiantado em relação ao gateway
doctor-clock-behind = o relógio desta máquina está { $secs } s atrasado em relação ao gateway
doctor-clock-fix = Confira a data e a hora desta máquina: se estiverem certas, o relógio do gateway está errado (avise o operador); se não, acerte o relógio desta máquina (NTP): as verificações de token e de certificado dependem dele
doctor-clock-fix-gateway = O relógio do gateway está errado: a data dele ({ $date }) é anterior à criação deste programa. Avise o operador do gateway; deixe o relógio desta máquina como está
doctor-clock-fix-ours = O relógio desta máquina está errado: mostra uma data anterior à criação deste programa. Acerte-o (NTP): as verificações de token e de certificado dependem dele
doctor-clock-ok = no máximo { $secs } s de diferença do gateway

## The command line's own errors (clap's error kinds, in words of the catalogue)

help-cli-options-placeholder = [OPÇÕES]
help-cli-value-file = ARQUIVO
help-cli-value-path = CAMINHO
help-cli-value-seconds = SEGUNDOS
help-cli-value-dir = PASTA
help-cli-value-mode = MODO
help-cli-value-status = ESTADO
help-cli-value-shell = SHELL
help-cli-value-lang = IDIOMA
help-cli-value-token = TOKEN
help-cli-value-addr = ENDEREÇO
cli-clap-missing-value = '{ $arg }' precisa de um valor, mas nenhum foi informado
cli-clap-invalid-value = valor '{ $value }' inválido para '{ $arg }'
cli-clap-possible-values = valores possíveis: { $values }
cli-clap-unknown-argument = argumento inesperado '{ $arg }'
cli-arg-token-as-argument = login --with-token lê o token da entrada padrão, nunca da linha de comando, onde o histórico do shell e a lista de processos o guardam (o valor dado não é mostrado): `stepwise login --with-token < token.txt`, ou rode `stepwise login --with-token` e cole-o
cli-clap-unknown-command = comando desconhecido '{ $name }'
cli-clap-missing-required = faltam estes argumentos obrigatórios: { $args }
cli-clap-only-with = { $given } só vale com { $needed }: acrescente { $needed } ou retire { $given }
cli-clap-range = informe um número de { $low } a { $high }
cli-clap-conflict = o argumento '{ $arg }' não pode ser usado com { $other }
cli-clap-repeated = o argumento '{ $arg }' só pode ser informado uma vez
cli-clap-extra-value = valor inesperado '{ $value }' para '{ $arg }'
cli-clap-needs-command = '{ $name }' precisa de um comando: { $values }
cli-clap-did-you-mean = você quis dizer '{ $suggestion }'?
cli-no-watch-command = não existe o comando watch: acompanhar é a tecla w do assistente (`stepwise --car ID`, depois w; para muitos veículos `stepwise fleet --cars ARQUIVO`, depois w); um script pede de novo `stepwise steps --car ID`
cli-clap-try-help = Para mais informações, tente '--help'.
cli-clap-other = não é possível ler a linha de comando

## The manual page's section headings (stepwise man)

man-section-name = NOME
man-section-synopsis = SINOPSE
man-section-description = DESCRIÇÃO
man-section-options = OPÇÕES
man-section-extra = NOTAS
man-section-version = VERSÃO
man-section-authors = AUTORES
man-section-environment = AMBIENTE
man-env-token = O token bearer do gateway (sem ela, vale o login guardado)
man-env-docs-url = As páginas de ajuda da concessionária, para onde levam os links do guia do técnico (docs_base_url no arquivo de configuração)
man-env-token-store = Onde o login guarda tokens: keyring, file ou auto (padrão)
man-env-config = O arquivo de configuração lido no lugar do padrão (stepwise doctor mostra o caminho dele)
man-env-log = O filtro do log, como debug ou stepwise=trace (padrão info); os logs vão para a pasta logs da pasta de dados
man-env-no-color = Definida e não vazia: sem cor na tela
man-section-files = ARQUIVOS
man-section-keys = TECLAS
man-files-config = O arquivo de configuração (STEPWISE_CONFIG indica outro; no macOS e no Windows ele fica na pasta do sistema, que o stepwise doctor mostra)
man-files-device-id = O id de dispositivo desta instalação, enviado em cada requisição
man-files-recent = Os últimos carAssociationIDs abertos, guardados por gateway e oferecidos na tela inicial quando o mesmo gateway é usado de novo
man-files-logins = Logins guardados pelo stepwise login quando não se usa um chaveiro, legíveis só pelo usuário
man-files-reports = Relatórios de sessão gravados com x (--report grava onde indicar)
man-files-logs = Os logs do assistente (STEPWISE_LOG define quanto)
man-files-demo-state = O que o backend de demonstração aprendeu em execuções anteriores (stepwise demo --fresh esquece)
man-files-sim-tls = A autoridade, o certificado e a chave do stepwise serve --tls, a menos que --tls-dir indique outra pasta
auth-unknown-client = o provedor de identidade não conhece o client id { $client } ({ $said }). Defina o id registrado lá para o stepwise com --client-id ID ou `client_id` no arquivo de configuração
auth-client-wants-secret = o provedor de identidade quer que o cliente { $client } se autentique ({ $said }): ele está registrado lá como cliente confidencial, com um segredo, e o stepwise entra como cliente público. Peça a quem administra o provedor um id de cliente público para o stepwise (sem segredo, com login por dispositivo ou navegador permitido) e informe-o com --client-id ID ou `client_id` no arquivo de configuração
auth-client-not-allowed = o provedor de identidade conhece o id de cliente { $client }, mas não o deixa entrar deste modo ({ $said }), e não oferece ao stepwise outro modo. Peça ao administrador do provedor que permita o fluxo de dispositivo para este cliente; enquanto isso, guarde um token com `stepwise login --with-token`
auth-client-not-allowed-device = o provedor de identidade conhece o id de cliente { $client }, mas não o deixa entrar com um código em outro dispositivo ({ $said }). Entre num navegador: `stepwise login` sem --device, numa máquina com área de trabalho; ou peça ao administrador do provedor que permita o fluxo de dispositivo para este cliente; ou guarde um token com `stepwise login --with-token`
auth-client-not-allowed-browser = o provedor de identidade conhece o id de cliente { $client }, mas não o deixa entrar num navegador ({ $said }). Entre com um código em outro dispositivo: `stepwise login --device`; ou peça ao administrador do provedor que o permita; ou guarde um token com `stepwise login --with-token`
auth-unknown-scope = o provedor de identidade não conhece um dos scopes pedidos ({ $said }); pedidos: { $scopes }. Defina os que ele conhece com --scope ou `scopes` no arquivo de configuração (pergunte a quem o opera), e execute `stepwise login` de novo
err-signin-issuer-mismatch = o provedor de identidade em { $asked } chama a si mesmo de { $got }: os metadados não são dele. Verifique --issuer (ou STEPWISE_ISSUER, `issuer` no arquivo de configuração) se foi informado, senão avise quem administra o gateway (os metadados de login dele indicam este provedor)
err-signin-issuer-unnamed = os metadados do provedor de identidade em { $asked } não nomeiam emissor (falta o membro `issuer`), então não dá para conferir que são dele. Avise quem administra o provedor; verifique --issuer (ou STEPWISE_ISSUER, `issuer` no arquivo de configuração) se foi informado
err-signin-resource-mismatch = os metadados de login que o gateway em { $gateway } publica ({ $path }) são de outro recurso, { $named }: os tokens do login que eles indicam seriam para esse recurso, não para este gateway, então não são usados (RFC 9728). Avise quem administra o gateway; se você conhece o provedor de identidade deste gateway, informe-o com --issuer (ou STEPWISE_ISSUER, `issuer` no arquivo de configuração)
err-signin-issuer-none = o provedor de identidade em { $issuer } não publica metadados (nem /.well-known/openid-configuration nem /.well-known/oauth-authorization-server; HTTP { $status }). Verifique --issuer (ou STEPWISE_ISSUER, `issuer` no arquivo de configuração) se foi informado, senão avise quem administra o gateway (os metadados de login dele indicam este provedor)
err-signin-issuer-missing = o provedor de identidade em { $issuer } publica metadados sem { $field }: ele não oferece ali nenhum login que o stepwise possa usar. Confira --issuer (ou STEPWISE_ISSUER, `issuer` no arquivo de configuração) se foi dado; se não, avise o operador do gateway (os metadados de login dele nomeiam este provedor)
err-signin-issuer-bad = o emissor { $issuer } não é uma URL http(s). Informe uma como https://login.example.com/realms/workshop
err-signin-endpoint-authorization = endereço de autorização
err-signin-endpoint-revocation = endereço de revogação
login-expires-no-refresh = O token expira às { $time }. Nenhum token de renovação veio junto (o provedor dá um com o scope offline_access), então faça o login de novo nessa hora.
login-expires-no-refresh-asked = O token expira às { $time }. Nenhum token de atualização veio com ele, embora o login tenha pedido offline_access: o provedor de identidade não dá nenhum ao stepwise (o administrador dele pode permitir), então entre de novo nessa hora.
login-keyring-fallback = Observação: o chaveiro não conseguiu guardar o token ({ $why }), então ele fica em um arquivo que só você pode ler (modo 0600). `stepwise logout` o remove.
login-browser-signing-in = Endereço entregue ao navegador: faça o login lá e volte aqui (Ctrl-C cancela).
login-browser-address = Se nenhum navegador mostrar o login, abra este endereço nesta máquina: { $address }
login-browser-done = Login feito: feche esta aba e volte ao terminal.
login-browser-failed-page = Este login não deu certo: o terminal diz por quê.
logout-revoked = O provedor de identidade revogou o login ({ $endpoint }).
logout-revoked-page = O endereço de revogação ({ $endpoint }) respondeu HTTP 200, o que significa revogado, mas com uma página web onde o provedor de identidade não responde nada: se um portal ou proxy responde ali no lugar dele, o login pode continuar válido no provedor até expirar.
logout-not-revoked = O provedor de identidade não oferece revogação: o login é esquecido aqui, e o token de renovação continua válido lá até expirar.
logout-not-revoked-access = O provedor de identidade não oferece revogação: o login é esquecido aqui, e o token continua válido lá até vencer.
logout-revoke-failed = A revogação no provedor de identidade falhou ({ $why }); o login é esquecido aqui mesmo assim. O token de renovação continua válido no provedor até expirar ou o provedor encerrá-lo: peça ao administrador dele que o revogue se ele precisar terminar agora.
logout-already-ended = O provedor de identidade já tinha encerrado este login ({ $said }): não há nada a revogar.
logout-revoke-failed-access = A revogação no provedor de identidade falhou ({ $why }); o login é esquecido aqui mesmo assim. O token continua válido no provedor até expirar: peça ao administrador dele que o revogue se ele precisar terminar agora.
status-over = Renovação: encerrada pelo provedor de identidade ({ $said }). Execute `stepwise login`
status-over-client = Renovação: recusada: o provedor de identidade não aceita o id de cliente { $client } ({ $said }). Entre com o que ele conhece: `stepwise login --client-id ID` (ou defina `client_id` no arquivo de configuração)
status-client = Cliente:   { $client }, scopes { $scopes }, público { $audience }
status-scopes-granted = { $asked } pedidos, { $granted } concedidos
help-cli-login-issuer = A URL de emissor do provedor de identidade (senão STEPWISE_ISSUER, `issuer` no arquivo de configuração, senão encontrada pelo gateway)
help-cli-login-client-id = O client id registrado para o stepwise no provedor de identidade (senão `client_id` no arquivo de configuração, senão stepwise)
help-cli-login-scope = Os scopes a pedir, separados por espaços (senão `scopes` no arquivo de configuração, senão os do gateway, senão "openid offline_access")
help-cli-login-audience = O público (recurso) para o qual pedir o token (senão `audience` no arquivo de configuração)
help-cli-login-device = Fazer login com um código aprovado em qualquer navegador, mesmo onde se poderia abrir um aqui
help-cli-serve-client-id = Um client id que o provedor de identidade conhece (repetível; padrão: stepwise)
doctor-source-login = o login guardado (`stepwise login`)
doctor-token-login-over = o provedor de identidade encerrou o login guardado ({ $said })
doctor-token-fix-login = Execute `stepwise login`
doctor-token-fix-client-id = Defina o client id que o provedor de identidade conhece com --client-id ID (ou `client_id` no arquivo de configuração) e depois execute `stepwise login --client-id ID`
doctor-token-fix-kept-fixed = Ele foi guardado com `stepwise login --with-token`: peça a quem administra o gateway o token atual e guarde-o com `stepwise login --with-token`
