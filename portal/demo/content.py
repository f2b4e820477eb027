"""The demo catalogue's content, in Italian: Napoli's ten hubs, what their activities are, and where they run.

Addresses, phone numbers and e-mail addresses are fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

EMAIL_DOMAIN = "poli-famiglie.example.it"
HORIZON_WEEKS = 12
MON, TUE, WED, THU, FRI, SAT = range(1, 7)


# -- hubs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubSeed:
    number: int
    slug: str
    short: str  # the suffix of its activities' slugs
    name: str
    neighbourhoods: str
    address: str
    postcode: str
    opening_hours: str
    description: str
    latitude: float
    longitude: float

    @property
    def municipality(self) -> int:
        return (self.number - 1) % len(HUBS) + 1

    @property
    def phone(self) -> str:
        return f"081 0000 {self.number:03d}"

    @property
    def email(self) -> str:
        return f"polo{self.number}@{EMAIL_DOMAIN}"


HUBS = (
    HubSeed(
        1, "chiaia-posillipo-san-ferdinando", "chiaia",
        "Polo per le Famiglie – Chiaia, Posillipo, San Ferdinando",
        "Chiaia, Posillipo, San Ferdinando", "Via del Faro Vecchio 12", "80121",
        "Lun–Ven 9:00–13:00; Mar, Gio 15:00–18:00",
        "Il Polo accoglie le famiglie di Chiaia, Posillipo e San Ferdinando in una palazzina con giardino: "
        "gruppi per genitori, consulenze e percorsi per famiglie affidatarie.",
        40.8352, 14.2318,
    ),
    HubSeed(
        2, "centro-storico", "centro-storico",
        "Polo per le Famiglie – Centro Storico",
        "Avvocata, Montecalvario, Pendino, Porto, Mercato, San Giuseppe", "Vico delle Campane Antiche 7", "80138",
        "Lun–Ven 9:00–13:00; Mer 14:30–18:30",
        "Nel cuore del centro antico, il Polo offre uno spazio per i più piccoli, laboratori per ragazzi, "
        "mediazione familiare e feste di quartiere.",
        40.8498, 14.2585,
    ),
    HubSeed(
        3, "stella-san-carlo-all-arena", "stella",
        "Polo per le Famiglie – Stella e San Carlo all'Arena",
        "Stella, San Carlo all'Arena", "Salita dei Gelsi 21", "80136",
        "Lun, Mer, Ven 9:00–13:00; Mar 14:00–18:00",
        "Il Polo di Stella e San Carlo all'Arena propone gruppi di parola, serate per genitori e "
        "incontri informativi sull'affido.",
        40.8602, 14.2508,
    ),
    HubSeed(
        4, "poggioreale-san-lorenzo-vicaria", "poggioreale",
        "Polo Est – Poggioreale, San Lorenzo, Vicaria",
        "San Lorenzo, Vicaria, Poggioreale, Zona Industriale", "Via delle Officine 45", "80143",
        "Lun 9:00–13:00; Mer 13:30–17:30",
        "Il Polo Est sostiene le famiglie di San Lorenzo, Vicaria e Poggioreale con gruppi per bambini, "
        "consulenze legali e progetti di affiancamento familiare.",
        40.8641, 14.2723,
    ),
    HubSeed(
        5, "vomero-arenella", "vomero",
        "Polo per le Famiglie – Vomero e Arenella",
        "Vomero, Arenella", "Via dei Glicini Alti 18", "80129",
        "Lun–Gio 9:00–17:00",
        "Il Polo del Vomero e dell'Arenella accompagna i genitori dalla nascita all'adolescenza e "
        "offre colloqui informativi sulla mediazione familiare.",
        40.8489, 14.2279,
    ),
    HubSeed(
        6, "ponticelli-barra-san-giovanni-a-teduccio", "ponticelli",
        "Polo per le Famiglie – Ponticelli, Barra, San Giovanni a Teduccio",
        "Ponticelli, Barra, San Giovanni a Teduccio", "Via dei Casali Orientali 33", "80147",
        "Lun–Ven 9:00–13:00; Gio 15:00–19:00",
        "Il Polo della zona orientale offre uno spazio studio per bambini e ragazzi, gruppi per neogenitori "
        "e per genitori separati.",
        40.8561, 14.3229,
    ),
    HubSeed(
        7, "miano-secondigliano-san-pietro-a-patierno", "secondigliano",
        "Polo per le Famiglie – Miano, Secondigliano, San Pietro a Patierno",
        "Miano, Secondigliano, San Pietro a Patierno", "Via delle Masserie 9", "80144",
        "Lun–Ven 9:00–13:00",
        "Il Polo di Miano, Secondigliano e San Pietro a Patierno propone laboratori per ragazzi, "
        "gruppi di parola e percorsi di solidarietà tra famiglie.",
        40.8979, 14.2571,
    ),
    HubSeed(
        8, "scampia-chiaiano-piscinola-marianella", "scampia",
        "Polo per le Famiglie – Scampia, Chiaiano, Piscinola-Marianella",
        "Chiaiano, Piscinola-Marianella, Scampia", "Viale dei Pioppi Bianchi 4", "80145",
        "Lun–Ven 9:00–13:00; Mar 15:00–18:00",
        "Il Polo dell'area nord offre massaggio infantile, spazio studio e una rete di sostegno per "
        "le future mamme.",
        40.8951, 14.2352,
    ),
    HubSeed(
        9, "soccavo-pianura", "soccavo",
        "Polo per le Famiglie – Soccavo e Pianura",
        "Soccavo, Pianura", "Via delle Cave di Tufo 27", "80126",
        "Lun, Mer 9:00–17:00; Ven 9:00–13:00",
        "Il Polo di Soccavo e Pianura propone gruppi per genitori, percorsi sulle emozioni per bambini "
        "e la festa delle famiglie di quartiere.",
        40.8523, 14.1882,
    ),
    HubSeed(
        10, "bagnoli-fuorigrotta", "fuorigrotta",
        "Polo per le Famiglie – Bagnoli e Fuorigrotta",
        "Bagnoli, Fuorigrotta", "Via del Pontile Flegreo 15", "80125",
        "Lun–Ven 9:00–13:00; Mer 15:00–18:00",
        "Il Polo di Bagnoli e Fuorigrotta offre uno spazio 0–3, incontri per genitori di adolescenti "
        "e un gruppo di auto-mutuo aiuto per persone separate.",
        40.8194, 14.1843,
    ),
)

EXTRA_STREETS = (
    "Via dei Limoni", "Vico del Pozzo Antico", "Via delle Lavandaie", "Rampa dei Cipressi",
    "Via dei Maestri d'Ascia", "Vico della Neve", "Via del Belvedere Nuovo",
)


def extra_hub(number: int) -> HubSeed:
    base = HUBS[(number - 1) % len(HUBS)]
    shift = (number % 5 - 2) * 0.003
    return replace(
        base,
        number=number,
        slug=f"sede-{number}",
        short=f"sede-{number}",
        name=f"Polo per le Famiglie – Sede {number}",
        address=f"{EXTRA_STREETS[number % len(EXTRA_STREETS)]} {number % 97 + 1}",
        description="Sede aggiuntiva del catalogo di prova, generata per le misure di carico.",
        latitude=round(base.latitude + shift, 4),
        longitude=round(base.longitude - shift, 4),
    )


# -- activities -------------------------------------------------------------------------------


def years(first: int, last: int) -> tuple[int, int]:
    return first * 12, last * 12 + 11


@dataclass(frozen=True)
class Template:
    """What an activity is, wherever it runs; `count` meetings per schedule (0: none in public)."""

    key: str
    title: str
    service: str
    summary: str
    description: str
    requirements: str
    outcome: str
    access: str
    format: str
    seat_unit: str
    audience: str
    ages: tuple[int, int] | None
    capacity: int
    minutes: int = 120
    count: int = 0
    every_weeks: int = 1
    slots_per_day: int = 1
    place: str = "Sala grande"
    waiting_list: bool = True
    cancellation_hours: int = 24
    both_parents_consent: bool = False


NO_DOCUMENTS = "Nessun documento: basta prenotare con un indirizzo e-mail."

TEMPLATES = (
    Template(
        "primi-passi", "Primi passi insieme – gruppo neogenitori", "gruppi-genitori",
        "Sei incontri settimanali per mamme e papà con bimbi fino a 12 mesi: sonno, pianto, allattamento "
        "e le prime settimane a casa.",
        "Un piccolo gruppo di neogenitori si ritrova ogni settimana con un'educatrice e un'ostetrica. "
        "Si parla di sonno, pianto, alimentazione e di come cambia la vita di coppia con l'arrivo di un figlio. "
        "I bambini partecipano insieme ai genitori e l'iscrizione vale per l'intero ciclo.",
        "Nessun documento: basta prenotare con un indirizzo e-mail e indicare mese e anno di nascita del bambino.",
        "Un posto per la vostra famiglia in tutti e sei gli incontri e il contatto con altri genitori del quartiere.",
        "open", "course", "family", "families", (0, 12), 10,
        minutes=90, count=6, place="Sala gruppi", cancellation_hours=48,
    ),
    Template(
        "massaggio", "Massaggio infantile con insegnante AIMI", "gruppi-genitori",
        "Cinque incontri per imparare il massaggio del neonato con un'insegnante AIMI, per genitori con "
        "bimbi da 1 a 9 mesi.",
        "Il massaggio aiuta il bambino a rilassarsi e rafforza la relazione con chi si prende cura di lui. "
        "In ogni incontro l'insegnante mostra una sequenza di movimenti che il genitore prova sul proprio bambino. "
        "Dopo il ciclo sono previsti due colloqui di confronto, su richiesta.",
        "Un telo, un cuscino e un cambio per il bambino. L'olio vegetale è fornito dal Polo.",
        "Le sequenze del massaggio da ripetere a casa e un opuscolo illustrato.",
        "open", "course", "family", "families", (1, 9), 10,
        minutes=90, count=5, place="Sala morbida", cancellation_hours=48,
    ),
    Template(
        "spazio-0-3", "Spazio 0–3: gioco e incontro", "gruppi-genitori",
        "Ogni settimana una mattina di gioco libero per bambini da 0 a 3 anni con un adulto di riferimento.",
        "Uno spazio accogliente con tappeti, giochi e materiali naturali dove i più piccoli esplorano e i grandi "
        "si incontrano. Due educatrici propongono brevi attività e sono disponibili per parlare della crescita. "
        "Si prenota la singola mattina: si può venire una volta o tutte le settimane.",
        "Calzini antiscivolo per bambini e adulti. Ogni bambino è accompagnato da un adulto.",
        "Una mattina di gioco in uno spazio sicuro e l'occasione di conoscere altre famiglie.",
        "open", "single", "family", "families", years(0, 2), 12,
        count=14, place="Sala morbida",
    ),
    Template(
        "cestino", "Il cestino dei tesori", "gruppi-genitori",
        "Laboratorio per genitori e bimbi dai 5 ai 10 mesi alla scoperta di oggetti di uso quotidiano.",
        "Il cestino dei tesori è un gioco di scoperta: il bambino, seduto, esplora da solo un cesto di oggetti "
        "naturali e di uso comune. L'educatrice spiega come preparare il cestino a casa e come osservare "
        "il bambino senza intervenire. Ogni data è un laboratorio a sé.",
        NO_DOCUMENTS + " Il bambino deve saper stare seduto, anche con un sostegno.",
        "Idee e un elenco di oggetti per preparare il proprio cestino a casa.",
        "open", "single", "family", "families", (5, 10), 8,
        minutes=90, count=2, every_weeks=4, place="Sala morbida",
    ),
    Template(
        "capricci", "Capricci e regole: i «no» che aiutano a crescere", "gruppi-genitori",
        "Un incontro serale con una pedagogista su capricci, regole e limiti, per genitori di bambini "
        "dai 2 ai 6 anni.",
        "Perché i bambini fanno i capricci e come rispondere senza urlare? La pedagogista parte da esempi "
        "di vita quotidiana e lascia ampio spazio alle domande. L'incontro è aperto a mamme, papà, nonni "
        "e a chi si prende cura dei bambini.",
        "Nessun documento: basta prenotare un posto per ogni adulto che partecipa.",
        "Strategie pratiche per le situazioni difficili di ogni giorno e una bibliografia essenziale.",
        "open", "single", "participant", "adults", years(2, 6), 30,
        count=1,
    ),
    Template(
        "cassetta-attrezzi", "La cassetta degli attrezzi per genitori im-perfetti", "gruppi-genitori",
        "Quattro serate per genitori di bambini da 0 a 6 anni su sonno, alimentazione, emozioni e schermi.",
        "Ogni serata affronta un tema con un esperto diverso e lascia spazio al confronto tra genitori. "
        "Non servono risposte perfette: l'idea è riempire insieme la propria cassetta degli attrezzi.",
        NO_DOCUMENTS + " L'iscrizione vale per tutti e quattro gli incontri.",
        "Schede pratiche su ogni tema e un gruppo di genitori con cui continuare il confronto.",
        "open", "course", "participant", "adults", years(0, 6), 20,
        count=4, cancellation_hours=48,
    ),
    Template(
        "adolescenza", "Adolescenza in corso… maneggiare con cura", "gruppi-genitori",
        "Quattro serate quindicinali per genitori di ragazzi dagli 11 ai 16 anni: cambiamenti, autonomia, "
        "conflitti e vita digitale.",
        "L'adolescenza mette alla prova tutta la famiglia. Con una psicologa dell'età evolutiva i genitori "
        "si confrontano sui cambiamenti dei figli, sulle regole da negoziare e su quelle che non si discutono. "
        "La cadenza quindicinale lascia il tempo di sperimentare a casa.",
        NO_DOCUMENTS + " L'iscrizione vale per l'intero ciclo.",
        "Un gruppo di confronto stabile e strumenti per il dialogo con i figli adolescenti.",
        "open", "course", "participant", "adults", years(11, 16), 15,
        minutes=105, count=4, every_weeks=2, place="Sala gruppi", cancellation_hours=48,
    ),
    Template(
        "spiragli", "Spiragli: aprire dialoghi con i figli", "gruppi-genitori",
        "Otto incontri il sabato mattina per genitori di ragazzi dai 13 ai 15 anni che vogliono ritrovare "
        "il dialogo con i figli.",
        "Un percorso di gruppo condotto da due counselor per riflettere su come si comunica in famiglia. "
        "Con esercizi, giochi di ruolo e racconti si allenano l'ascolto e la capacità di dire le cose difficili. "
        "Si chiede di partecipare a tutti gli incontri.",
        "La disponibilità a partecipare a tutti e otto gli incontri.",
        "Un attestato di partecipazione e strumenti di comunicazione da usare in famiglia.",
        "open", "course", "participant", "adults", years(13, 15), 12,
        count=8, place="Sala gruppi", cancellation_hours=48,
    ),
    Template(
        "studio-primaria", "Spazio studio – scuola primaria", "gruppi-bambini-ragazzi",
        "Ogni mercoledì pomeriggio aiuto nei compiti in piccolo gruppo per bambini della scuola primaria.",
        "I bambini fanno i compiti insieme, con l'aiuto di educatori e volontari, e imparano a organizzare "
        "lo studio. Dopo i compiti ci sono la merenda e un momento di gioco. L'iscrizione copre un ciclo "
        "di otto settimane.",
        "Il diario e i libri del giorno. Un adulto accompagna e riprende il bambino.",
        "Un pomeriggio a settimana di studio accompagnato e un confronto periodico con i genitori.",
        "open", "course", "participant", "children", years(6, 10), 15,
        count=8, place="Aula studio",
    ),
    Template(
        "studio-medie", "Spazio studio – scuola secondaria di primo grado", "gruppi-bambini-ragazzi",
        "Ogni mercoledì pomeriggio uno spazio per fare i compiti e imparare un metodo di studio, per ragazzi "
        "delle medie.",
        "I ragazzi studiano in piccolo gruppo con educatori e volontari, che li aiutano a pianificare "
        "le verifiche e a recuperare le materie più difficili. Il gruppo è anche un luogo dove stare insieme "
        "dopo la scuola. L'iscrizione copre un ciclo di otto settimane.",
        "Il diario, i libri e i quaderni del giorno.",
        "Un metodo di studio, aiuto costante nei compiti e un confronto periodico con i genitori.",
        "open", "course", "participant", "children", years(11, 13), 15,
        count=8, place="Aula studio",
    ),
    Template(
        "fuori-classe", "Laboratorio espressivo «Fuori classe»", "gruppi-bambini-ragazzi",
        "Otto pomeriggi di teatro, musica e video per ragazze e ragazzi dai 12 ai 17 anni.",
        "Con un educatore e un'artista i ragazzi costruiscono insieme un piccolo spettacolo o un cortometraggio "
        "sul loro quartiere. Non serve esperienza: conta la voglia di mettersi in gioco. L'ultimo incontro "
        "è aperto alle famiglie per la presentazione del lavoro.",
        "Per i minorenni l'iscrizione è fatta da un genitore. Abbigliamento comodo.",
        "Un lavoro finale presentato alle famiglie e un gruppo di coetanei con cui condividere il tempo libero.",
        "open", "course", "participant", "children", years(12, 17), 12,
        count=8, place="Sala gruppi",
    ),
    Template(
        "emozioni", "Emozioni in gioco", "gruppi-bambini-ragazzi",
        "Sei incontri di gioco per bambini dai 6 ai 10 anni per riconoscere e dare un nome alle emozioni.",
        "Con giochi, disegni e storie i bambini imparano a riconoscere rabbia, paura e tristezza e a trovare "
        "modi per esprimerle. Prima dell'inizio la psicologa incontra un genitore per conoscere il bambino: "
        "il posto è confermato dopo questo colloquio.",
        "Un breve colloquio con un genitore, fissato dal Polo dopo la richiesta.",
        "Un percorso di gruppo per il bambino e un colloquio di restituzione con i genitori alla fine.",
        "approval", "course", "participant", "children", years(6, 10), 10,
        minutes=90, count=6, place="Sala gruppi", cancellation_hours=48,
    ),
    Template(
        "consulenza-pedagogica", "Consulenza pedagogica", "gruppi-genitori",
        "Un colloquio individuale di 50 minuti con una pedagogista per parlare di un dubbio o di una difficoltà "
        "con i figli.",
        "Sonno, alimentazione, scuola, regole, rapporti tra fratelli: a volte basta il confronto con un'esperta "
        "per vedere le cose da un'altra prospettiva. Il colloquio è riservato e può essere fatto da un genitore "
        "o dalla coppia. Se serve, la pedagogista indica altri servizi del territorio.",
        "Nessun documento: basta prenotare un orario con un indirizzo e-mail.",
        "Un colloquio riservato di 50 minuti e, se utile, un secondo appuntamento.",
        "open", "single", "family", "adults", None, 1,
        minutes=50, count=HORIZON_WEEKS, slots_per_day=5, place="Stanza dei colloqui", waiting_list=False,
    ),
    Template(
        "tutoraggio", "Tutoraggio educativo domiciliare", "tutoraggio-domiciliare",
        "Un educatore affianca a casa la famiglia e i figli da 0 a 17 anni secondo un progetto educativo "
        "individualizzato.",
        "Il servizio è attivato dal servizio sociale territoriale dopo una valutazione, con un Progetto "
        "Educativo Individualizzato verificato almeno ogni sei mesi. L'educatore incontra la famiglia a casa "
        "qualche ora a settimana e la sostiene nell'organizzazione quotidiana, nella scuola e nelle relazioni. "
        "Non si attiva su richiesta diretta: per informazioni rivolgetevi al vostro assistente sociale.",
        "L'invio del servizio sociale territoriale o un provvedimento dell'Autorità giudiziaria.",
        "Un progetto educativo condiviso con la famiglia e un educatore di riferimento.",
        "referral", "single", "family", "families", years(0, 17), 1,
        waiting_list=False,
    ),
    Template(
        "colloquio-mediazione", "Primo colloquio informativo sulla mediazione familiare", "mediazione-familiare",
        "Un colloquio di un'ora, anche per un solo genitore, per capire che cos'è la mediazione familiare "
        "e se può esservi utile.",
        "La mediatrice spiega come funziona il percorso, quanto dura e in quali casi non è indicato. "
        "Il colloquio è gratuito, riservato e non impegna a proseguire. L'altro genitore viene invitato "
        "solo se decidete di iniziare la mediazione.",
        "Nessun documento. Non occorre la presenza di entrambi i genitori.",
        "Informazioni chiare sul percorso di mediazione e, se lo desiderate, l'avvio della richiesta.",
        "open", "single", "family", "adults", None, 1,
        minutes=60, count=HORIZON_WEEKS, slots_per_day=3, place="Stanza dei colloqui", waiting_list=False,
        cancellation_hours=48,
    ),
    Template(
        "mediazione", "Percorso di mediazione familiare", "mediazione-familiare",
        "Incontri con un mediatore familiare per genitori che si separano e vogliono accordarsi sulla cura "
        "dei figli.",
        "La mediazione aiuta i genitori a riorganizzare le relazioni dopo la separazione, mettendo al centro "
        "i figli. Il percorso comprende da 3 a 12 incontri, all'inizio settimanali, con entrambi i genitori. "
        "Dopo la richiesta il Polo vi contatta per fissare il primo incontro.",
        "La disponibilità di entrambi i genitori a partecipare. Non servono atti del tribunale.",
        "Accordi condivisi sulla cura dei figli, che potete presentare anche ai vostri legali.",
        "request", "single", "family", "adults", years(0, 17), 1,
        waiting_list=False, cancellation_hours=48,
    ),
    Template(
        "parola-6-11", "Gruppo di parola per bambini dai 6 agli 11 anni", "gruppi-di-parola",
        "Quattro incontri per bambini dai 6 agli 11 anni con genitori separati, per dare parola a domande "
        "ed emozioni insieme ad altri coetanei.",
        "Nel gruppo i bambini raccontano come vivono la separazione dei genitori, fanno domande e scoprono "
        "di non essere i soli. Gli incontri sono condotti da due conduttori formati in un luogo riservato. "
        "Prima dell'inizio c'è una presentazione per i genitori; all'ultimo incontro i genitori sono invitati "
        "a partecipare.",
        "Il consenso di entrambi i genitori, raccolto dagli operatori durante la presentazione. "
        "Online non vengono chiesti i dati dell'altro genitore.",
        "Uno spazio protetto per il bambino e un momento finale di dialogo con i genitori.",
        "approval", "course", "participant", "children", years(6, 11), 8,
        count=4, place="Sala gruppi", cancellation_hours=48, both_parents_consent=True,
    ),
    Template(
        "parola-11-14", "Gruppo di parola per ragazzi dagli 11 ai 14 anni", "gruppi-di-parola",
        "Quattro incontri per ragazze e ragazzi dagli 11 ai 14 anni con genitori separati, per confrontarsi "
        "tra coetanei.",
        "Il gruppo offre ai preadolescenti uno spazio per dire quello che a casa è difficile dire e per "
        "ascoltare l'esperienza degli altri. I conduttori aiutano il gruppo a preparare un messaggio per "
        "i genitori, che partecipano all'ultimo incontro.",
        "Il consenso di entrambi i genitori, raccolto dagli operatori durante la presentazione. "
        "Online non vengono chiesti i dati dell'altro genitore.",
        "Uno spazio protetto per il ragazzo e un momento finale di dialogo con i genitori.",
        "approval", "course", "participant", "children", years(11, 14), 8,
        count=4, place="Sala gruppi", cancellation_hours=48, both_parents_consent=True,
    ),
    Template(
        "dopo-separazione", "Genitori dopo la separazione", "genitori-separati",
        "Sei incontri settimanali in piccolo gruppo per madri e padri separati che vogliono continuare "
        "a essere genitori.",
        "Il gruppo è un luogo di ascolto e di confronto tra genitori che vivono la separazione. "
        "Si partecipa singolarmente, non in coppia. Prima di entrare nel gruppo c'è un colloquio "
        "individuale con la conduttrice, fissato dal Polo dopo la richiesta.",
        "Un colloquio individuale preliminare. Si partecipa singolarmente.",
        "Sostegno nel ruolo di genitore e il confronto con chi vive la stessa esperienza.",
        "approval", "course", "participant", "adults", None, 12,
        minutes=90, count=6, place="Sala gruppi", cancellation_hours=48,
    ),
    Template(
        "spazio-neutro", "Spazio Neutro – incontri protetti", "spazio-neutro",
        "Incontri protetti tra bambini e genitori non collocatari o parenti, alla presenza di un operatore.",
        "Lo Spazio Neutro tutela il diritto del bambino a mantenere la relazione con entrambi i genitori "
        "quando questa è difficile. Gli incontri, di circa un'ora a settimana, si svolgono in una stanza "
        "dedicata alla presenza di un educatore. Il calendario è concordato con gli operatori e non compare "
        "nel sito.",
        "Un provvedimento dell'Autorità giudiziaria o l'invio del servizio sociale territoriale.",
        "Incontri regolari in un luogo protetto e una relazione periodica al servizio inviante.",
        "referral", "single", "family", "families", years(0, 17), 1,
        waiting_list=False,
    ),
    Template(
        "consulenza-legale", "Consulenza legale sul diritto di famiglia", "genitori-separati",
        "Un colloquio gratuito di 45 minuti con un avvocato per orientarsi su separazione, affidamento "
        "dei figli e mantenimento.",
        "L'avvocato spiega i passaggi della separazione e del divorzio, i diritti e i doveri verso i figli "
        "e le possibilità di accordo. Il colloquio è orientativo e non sostituisce l'assistenza di un legale "
        "di fiducia.",
        "Nessun documento: basta prenotare un orario con un indirizzo e-mail.",
        "Un primo orientamento legale e le informazioni sui servizi gratuiti del territorio.",
        "open", "single", "family", "adults", None, 1,
        minutes=45, count=HORIZON_WEEKS, slots_per_day=3, place="Stanza dei colloqui", waiting_list=False,
        cancellation_hours=48,
    ),
    Template(
        "auto-mutuo-aiuto", "Gruppo di auto-mutuo aiuto per persone separate", "genitori-separati",
        "Un gruppo serale quindicinale in cui persone separate si sostengono a vicenda, con un facilitatore.",
        "Nel gruppo ognuno porta la propria esperienza e riceve quella degli altri. Il facilitatore garantisce "
        "il rispetto delle regole e la riservatezza. Dopo la richiesta il Polo vi contatta per un primo "
        "incontro conoscitivo.",
        "Un primo contatto con il facilitatore, fissato dal Polo dopo la richiesta.",
        "Un gruppo di sostegno stabile, che si ritrova per tutto l'anno.",
        "request", "course", "participant", "adults", None, 12,
        minutes=90, count=6, every_weeks=2, place="Sala gruppi", cancellation_hours=48,
    ),
    Template(
        "serata-affido", "Io mi affido, tu… affidati! – serata sull'affido", "affido-informale",
        "Una serata informativa aperta a coppie, famiglie e single che vogliono conoscere l'affido familiare.",
        "Operatori del servizio affidi e famiglie affidatarie raccontano che cosa significa accogliere "
        "un bambino, anche solo per qualche ora a settimana o nei fine settimana. La serata non impegna a nulla.",
        "Nessun documento: basta prenotare un posto per ogni adulto.",
        "Le informazioni per capire se l'affido fa per voi e i contatti per un colloquio.",
        "open", "single", "participant", "adults", None, 30,
        count=1,
    ),
    Template(
        "famiglia-per-famiglia", "Una famiglia per una famiglia – presentazione", "solidarieta-familiare",
        "Un incontro il sabato mattina per conoscere l'affiancamento, in cui una famiglia sostiene un'altra "
        "famiglia in un momento difficile.",
        "Famiglie che hanno già fatto l'esperienza raccontano come si costruisce un rapporto di vicinanza: "
        "aiuto nei compiti, accompagnamenti, un pranzo la domenica. Gli operatori spiegano come avviene "
        "l'abbinamento e quale sostegno ricevono le famiglie.",
        "Nessun documento: basta prenotare un posto per ogni adulto.",
        "Le informazioni per dare la vostra disponibilità come famiglia risorsa.",
        "open", "single", "participant", "adults", None, 30,
        count=2, every_weeks=6, place="Giardino",
    ),
    Template(
        "famiglie-affiancanti", "Percorso per famiglie affiancanti e affidatarie", "affido-informale",
        "Cinque serate di gruppo e colloqui conoscitivi per famiglie e single disponibili all'affiancamento "
        "o all'affido.",
        "Il percorso prepara chi vuole accogliere: si parla dei bisogni dei bambini, del rapporto con la "
        "famiglia d'origine e del lavoro con i servizi. Dopo la richiesta gli operatori vi contattano per "
        "un colloquio; l'abbinamento con una famiglia è fatto dal servizio sociale.",
        "Un colloquio conoscitivo con gli operatori, fissato dopo la richiesta.",
        "Una preparazione di base e l'accompagnamento degli operatori nelle esperienze di accoglienza.",
        "request", "course", "family", "adults", None, 12,
        count=5, cancellation_hours=48,
    ),
    Template(
        "affiancamento", "Affiancamento familiare – famiglia risorsa", "solidarieta-familiare",
        "Una famiglia risorsa affianca per qualche mese una famiglia in difficoltà, con il sostegno degli "
        "operatori.",
        "Le famiglie risorsa dedicano qualche ora a settimana a un'altra famiglia: compiti, accompagnamenti, "
        "tempo libero insieme. Ogni affiancamento segue un progetto condiviso con il servizio sociale. "
        "Con la richiesta date la vostra disponibilità: gli operatori vi contattano per conoscervi.",
        "Un colloquio conoscitivo e la partecipazione al percorso di preparazione.",
        "Un progetto di affiancamento seguito dagli operatori e il confronto con altre famiglie risorsa.",
        "request", "single", "family", "families", None, 10,
        waiting_list=False,
    ),
    Template(
        "ben-arrivato", "Ben arrivato piccolino – rete per future mamme", "solidarieta-familiare",
        "Accompagnamento individuale per donne in gravidanza e neomamme sole, con una rete di famiglie "
        "e volontarie.",
        "Una volontaria formata accompagna la mamma nei mesi prima e dopo il parto: visite, pratiche, "
        "piccoli aiuti quotidiani. Dopo la richiesta un'operatrice vi contatta per conoscervi e costruire "
        "insieme il progetto.",
        "Nessun documento. La richiesta può essere fatta anche da un'operatrice del consultorio.",
        "Una persona di riferimento nei primi mesi e il collegamento con i servizi del quartiere.",
        "request", "single", "family", "adults", None, 10,
        waiting_list=False,
    ),
    Template(
        "festa", "Festa delle famiglie di quartiere", "attivita-culturali",
        "Un sabato pomeriggio di giochi, musica e merenda condivisa per tutte le famiglie del quartiere.",
        "Giochi per i bambini, uno spettacolo di burattini, musica e una merenda preparata insieme alle "
        "associazioni del territorio. È l'occasione per conoscere gli operatori e le attività del Polo. "
        "Si prenota un posto per ogni persona, adulti e bambini.",
        "Nessun documento: basta prenotare un posto per ogni partecipante.",
        "Un pomeriggio di festa e le informazioni sulle attività del Polo.",
        "open", "single", "participant", "families", None, 100,
        minutes=210, count=1, place="Giardino",
    ),
    Template(
        "storie-a-merenda", "Storie a merenda – letture ad alta voce", "attivita-culturali",
        "Letture ad alta voce il sabato mattina per bambini dai 3 ai 6 anni e i loro genitori.",
        "Lettrici volontarie leggono albi illustrati e propongono un piccolo gioco legato alla storia. "
        "I genitori scoprono libri adatti all'età e idee per leggere a casa. Ogni data è un appuntamento a sé.",
        "Nessun documento: basta prenotare un posto per ogni adulto e ogni bambino.",
        "Un'ora di letture e una bibliografia per continuare a leggere in famiglia.",
        "open", "single", "participant", "families", years(3, 6), 20,
        minutes=60, count=5, every_weeks=2, place="Biblioteca del Polo",
    ),
    Template(
        "cucina", "Cuciniamo insieme – laboratorio tra famiglie", "attivita-culturali",
        "Un laboratorio di cucina il sabato mattina per genitori e bambini dai 4 ai 10 anni.",
        "Le famiglie preparano insieme una ricetta della tradizione napoletana e la assaggiano a fine "
        "mattinata. Il laboratorio è un modo per conoscersi e scambiarsi ricette da famiglie diverse.",
        "Un grembiule per ogni partecipante. Segnalate eventuali allergie al momento della prenotazione.",
        "Una mattinata insieme e il ricettario delle famiglie del Polo.",
        "open", "single", "family", "families", years(4, 10), 8,
        minutes=150, count=3, every_weeks=4, place="Cucina didattica",
    ),
)

TEMPLATE_BY_KEY = {template.key: template for template in TEMPLATES}


@dataclass(frozen=True)
class Offer:
    """A template run at a hub: its weekday, start time and first week (0: the current one)."""

    template: str
    hub: int
    weekday: int = MON
    start: str = "10:00"
    first_week: int = 1
    fill: str | None = None  # full | nearly | partial | low; None draws one
    opens_in_days: int | None = None
    published: bool = True
    cancelled: tuple[int, ...] = ()
    larger: tuple[int, int, str] | None = None  # meeting index, its own capacity, its place


OFFERS = (
    Offer("primi-passi", 1, TUE, "10:00", 1),
    Offer("primi-passi", 6, THU, "10:00", 3, opens_in_days=5),
    Offer("primi-passi", 9, MON, "10:00", 2, fill="full"),
    Offer("massaggio", 5, WED, "16:30", 1, fill="full"),
    Offer("massaggio", 8, FRI, "10:00", 4),
    Offer("spazio-0-3", 2, TUE, "10:00", -2, cancelled=(5,)),
    Offer("spazio-0-3", 4, MON, "10:00", -2),
    Offer("spazio-0-3", 7, THU, "10:00", -2),
    Offer("spazio-0-3", 9, FRI, "10:00", -2),
    Offer("spazio-0-3", 10, FRI, "10:00", -2, larger=(4, 20, "Giardino")),
    Offer("cestino", 5, FRI, "10:00", 2, fill="nearly"),
    Offer("cestino", 3, TUE, "10:30", 3),
    Offer("capricci", 1, THU, "18:00", 2),
    Offer("capricci", 8, WED, "18:00", 4, fill="nearly"),
    Offer("cassetta-attrezzi", 3, MON, "18:00", 2),
    Offer("cassetta-attrezzi", 9, WED, "18:00", 5, published=False),
    Offer("adolescenza", 5, TUE, "20:15", 1, fill="nearly"),
    Offer("adolescenza", 10, THU, "20:15", 3),
    Offer("spiragli", 1, SAT, "10:00", 2),
    Offer("studio-primaria", 6, WED, "14:30", 1, fill="full"),
    Offer("studio-primaria", 8, WED, "14:30", 2),
    Offer("studio-medie", 6, WED, "16:30", 1),
    Offer("studio-medie", 8, WED, "16:30", 2, fill="nearly"),
    Offer("fuori-classe", 2, THU, "17:00", 2),
    Offer("fuori-classe", 7, MON, "17:00", 4, opens_in_days=10),
    Offer("emozioni", 4, WED, "17:00", 3),
    Offer("emozioni", 9, TUE, "17:00", 2, fill="nearly"),
    *(
        Offer("consulenza-pedagogica", hub, day, "09:00", 0)
        for hub, day in ((1, MON), (2, THU), (4, MON), (6, TUE), (7, TUE), (8, FRI), (9, FRI), (10, THU))
    ),
    Offer("consulenza-pedagogica", 3, WED, "09:00", 0, cancelled=(6,)),
    Offer("consulenza-pedagogica", 5, THU, "12:00", 0),
    Offer("tutoraggio", 4),
    Offer("tutoraggio", 6),
    Offer("tutoraggio", 8),
    Offer("colloquio-mediazione", 2, WED, "15:00", 0),
    Offer("colloquio-mediazione", 5, MON, "14:00", 0),
    Offer("colloquio-mediazione", 7, TUE, "10:00", 0),
    Offer("colloquio-mediazione", 9, WED, "14:00", 0),
    Offer("colloquio-mediazione", 10, WED, "15:00", 0),
    Offer("mediazione", 2),
    Offer("mediazione", 5),
    Offer("mediazione", 10),
    Offer("parola-6-11", 3, TUE, "17:00", 3, fill="nearly"),
    Offer("parola-6-11", 7, WED, "17:00", 5, opens_in_days=5),
    Offer("parola-11-14", 5, THU, "17:00", 4, fill="full"),
    Offer("dopo-separazione", 1, WED, "18:00", 2),
    Offer("dopo-separazione", 6, MON, "18:00", 4, fill="full"),
    Offer("spazio-neutro", 2),
    Offer("spazio-neutro", 8),
    Offer("consulenza-legale", 4, WED, "14:00", 0),
    Offer("consulenza-legale", 6, THU, "15:00", 0),
    Offer("consulenza-legale", 9, MON, "14:00", 0),
    Offer("auto-mutuo-aiuto", 10, TUE, "19:00", 1),
    Offer("serata-affido", 3, THU, "19:00", 3),
    Offer("serata-affido", 6, TUE, "19:00", 6),
    Offer("famiglia-per-famiglia", 7, SAT, "10:00", 2),
    Offer("famiglie-affiancanti", 1, THU, "18:30", 4),
    Offer("famiglie-affiancanti", 7, TUE, "18:30", 5, published=False),
    Offer("affiancamento", 4),
    Offer("ben-arrivato", 8),
    Offer("festa", 2, SAT, "15:30", 5, larger=(0, 150, "Piazzetta davanti al Polo")),
    Offer("festa", 9, SAT, "15:30", 8),
    Offer("storie-a-merenda", 4, SAT, "10:30", 1),
    Offer("storie-a-merenda", 10, SAT, "10:30", 2),
    Offer("cucina", 1, SAT, "10:00", 1, fill="full"),
    Offer("cucina", 3, SAT, "10:00", 2),
)


HELP_KINDS = (  # the kinds of solidarity help the hubs' staff start from (they can change the list)
    "Accoglienza dopo la scuola", "Accompagnamento a scuola o alle attività", "Aiuto nei compiti",
    "Weekend di affido familiare informale", "Aiuto con le pratiche", "Compagnia e ascolto",
)
