"""Word tables for reading customer messages in English, Swahili and Sheng.

Every table maps what a customer may type (lower case) to one canonical value. The catalogue
and operations teams extend these tables; the matching code never needs to change.
"""


def _expand(groups: dict[str, str]) -> dict[str, str]:
    """Turn {"canonical": "alias | alias two | ..."} into {"alias": "canonical"}."""
    table: dict[str, str] = {}
    for canonical, aliases in groups.items():
        for alias in aliases.split("|"):
            alias = alias.strip()
            if alias in table:
                raise ValueError(f"vocabulary alias {alias!r} is listed twice")
            table[alias] = canonical
    return table


# Common typos and texting shortcuts, rewritten before any rule runs (and in catalogue search).
SPELLING: dict[str, str] = _expand(
    {
        "how": "hw | hww",
        "have": "hv | hav | hve",
        "what": "wat | wht | whta",
        "what's": "whats | wats | whts",
        "you": "u | yu",
        "your": "ur | yr",
        "please": "pls | plz | pliz | plis | plez | pleas",
        "thanks": "thx | thnx | thanx | tnx | tnks | thnks | thks | thanz",
        "asante": "asanti | asate | asantee | asnte",
        "checkout": "chekout | checkot | chckout | cheakout | ckeckout | chekaut | checkut",
        "i'm": "im | iam",
        "want": "wnt | wan",
        "nataka": "ntaka | nataga | natak | nadaka",
        "nitalipa": "ntalipa",
        "nimelipa": "nmelipa | nmeshalipa",
        "nimetuma": "nmetuma",
        "nitachukua": "ntachukua",
        "address": "adress | addres | adres | addrss",
        "delivery": "dilivery | delivary | dlvry | deliverly | delivey",
        "received": "recieved | receved",
        "receive": "recieve",
        "paid": "payed",
        "price": "prize | prce",
        "colour": "color | colr",
        "colours": "colors",
        "that": "tht | dat",
        "this": "dis | ths",
        "when": "wen | whn",
        "where": "wer | whr | wea",
        "order": "oder | odr | ordr | oda",
        "cart": "kart",
        "okay": "okey | okie | oki | okk",
        "poa": "poah",
        "niko": "nko",
        "ngapi": "ngap",
        "saizi": "saiz | saize",
        "size": "sise",
        "mpesa": "m-pesa | mpeza | mpessa",
        "something": "smthng | sth",
        "number": "nmbr | numba",
    }
)

# Chat-only synonyms folded before the intent rules; kept out of SPELLING so catalogue search
# still tells a "basket bag" from a cart.
CHAT_SYNONYMS: dict[str, str] = _expand({"cart": "basket | trolley"})

COLOURS: dict[str, str] = _expand(
    {
        "red": "red | nyekundu | jekundu | chekundu | vyekundu | mwekundu | wekundu",
        "blue": "blue | bluu | buluu | blu | light blue | sky blue | royal blue | baby blue",
        "navy": "navy | navy blue | dark blue",
        "black": "black | blak | blck | nyeusi | jeusi | cheusi | vyeusi | mweusi | weusi",
        "white": "white | whyte | nyeupe | jeupe | cheupe | vyeupe | mweupe | weupe",
        "green": "green | kijani | olive | emerald | mint",
        "yellow": "yellow | njano | manjano | mustard",
        "pink": "pink | pinki | hot pink | baby pink | fuchsia",
        "brown": "brown | kahawia | chocolate | tan",
        "purple": "purple | zambarau | violet | lilac | lavender",
        "grey": "grey | gray | kijivu",
        "orange": "orange | machungwa | chungwa",
        "gold": "gold | golden | dhahabu",
        "maroon": "maroon | burgundy | wine",
        "beige": "beige | nude | khaki",
        "cream": "cream | off white | off-white | ivory",
        "silver": "silver",
        "multicolour": "multicolour | multicolor | multi-colour | multi-color | multi colour"
        " | multicoloured | colourful | colorful | rangi nyingi | rangi mingi",
    }
)

# Garment words; a trailing "s"/"es" plural is accepted by the matcher.
CATEGORIES: dict[str, str] = _expand(
    {
        "dress": "dress | gauni | magauni | rinda | marinda | dera | madera | frock | gown",
        "skirt": "skirt | sketi | masketi | skati",
        "trousers": "trousers | trouser | suruali | pants | pant | palazzo | slacks | culottes",
        "shirt": "shirt | shati | mashati",
        "blouse": "blouse | blauzi",
        "top": "top | crop top | t-shirt | tshirt | tee | tank top | bodysuit",
        "jacket": "jacket | koti | makoti | coat | blazer | hoodie",
        "kitenge": "kitenge | vitenge | chitenge",
        "ankara": "ankara",
        "shoes": "shoe | viatu | kiatu | raba | sneaker | heels | high heels | boots | loafers",
        "sandals": "sandal | malapa | flip flops | slippers | slides",
        "bag": "bag | handbag | mkoba | mikoba | purse | clutch | tote | backpack",
        "jumpsuit": "jumpsuit | jump suit | romper | playsuit",
        "kimono": "kimono",
        "suit": "suit | suti",
        "jeans": "jeans | jean | jinsi | denim",
    }
)
SHOE_CATEGORIES = frozenset({"shoes", "sandals"})

LETTER_SIZES: dict[str, str] = _expand(
    {
        "XS": "xs | extra small | x-small | x small",
        "S": "s | small",
        "M": "m | medium",
        "L": "l | large",
        "XL": "xl | extra large | x-large | x large",
        "XXL": "xxl | 2xl | xx-large | double xl",
        "XXXL": "xxxl | 3xl",
    }
)
CLOTHING_SIZE_RANGE = range(6, 25)  # the other kinds of size: catalog/sizes.py

# Known delivery areas, canonical name -> what customers type. Used for the delivery fee lookup,
# so roads named after towns ("Mombasa Road") are their own areas, listed before the town.
DELIVERY_AREAS: dict[str, str] = _expand(
    {
        "Ngong Road": "ngong road | ngong rd",
        "Mombasa Road": "mombasa road | mombasa rd | msa road | msa rd",
        "Thika Road": "thika road | thika rd | thika superhighway",
        "Kilimani": "kilimani",
        "Westlands": "westlands | westie",
        "Kileleshwa": "kileleshwa",
        "Lavington": "lavington",
        "Karen": "karen",
        "Langata": "langata | lang'ata",
        "Rongai": "rongai | ongata rongai",
        "Kitengela": "kitengela",
        "Syokimau": "syokimau",
        "South B": "south b",
        "South C": "south c",
        "Embakasi": "embakasi",
        "Umoja": "umoja",
        "Donholm": "donholm",
        "Buruburu": "buruburu | buru buru | buru",
        "Kasarani": "kasarani",
        "Roysambu": "roysambu | roysa",
        "Ruaka": "ruaka",
        "Thika": "thika",
        "Juja": "juja",
        "Ngong": "ngong",
        "Kahawa": "kahawa | kahawa west | kahawa sukari | kahawa wendani",
        "Ruiru": "ruiru | kamakis",
        "CBD": "cbd | nairobi cbd | town | tao",
        "Hurlingham": "hurlingham",
        "Upper Hill": "upper hill | upperhill",
        "Parklands": "parklands",
        "Ngara": "ngara",
        "Pangani": "pangani",
        "Eastleigh": "eastleigh",
        "Githurai": "githurai",
        "Zimmerman": "zimmerman | zimmerman estate",
        "Kayole": "kayole",
        "Utawala": "utawala",
        "Pipeline": "pipeline",
        "Imara Daima": "imara daima",
        "Kibera": "kibera",
        "Kawangware": "kawangware",
        "Dagoretti": "dagoretti",
        "Kikuyu": "kikuyu",
        "Kiambu": "kiambu",
        "Kinoo": "kinoo",
        "Ruai": "ruai",
        "Athi River": "athi river | mlolongo",
        "Gigiri": "gigiri",
        "Runda": "runda",
        "Muthaiga": "muthaiga",
        "Kangemi": "kangemi",
        "Madaraka": "madaraka",
        "Nairobi West": "nairobi west",
        "Kitisuru": "kitisuru",
        "Garden Estate": "garden estate",
        "Kariobangi": "kariobangi",
        "Dandora": "dandora",
        "Komarock": "komarock",
        "Tassia": "tassia",
        "Mwiki": "mwiki",
        "Kiserian": "kiserian",
        "Limuru": "limuru",
        "Nairobi": "nairobi",
        "Mombasa": "mombasa | msa",
        "Nyali": "nyali",
        "Bamburi": "bamburi",
        "Diani": "diani",
        "Kisumu": "kisumu | ksm",
        "Nakuru": "nakuru",
        "Eldoret": "eldoret",
        "Machakos": "machakos",
        "Nyeri": "nyeri",
        "Meru": "meru",
        "Kakamega": "kakamega",
        "Kisii": "kisii",
        "Naivasha": "naivasha",
        "Nanyuki": "nanyuki",
        "Malindi": "malindi",
        "Kitale": "kitale",
        "Kericho": "kericho",
        "Embu": "embu",
        "Nyahururu": "nyahururu",
        "Kilifi": "kilifi",
        "Kajiado": "kajiado",
        "Narok": "narok",
        "Bungoma": "bungoma",
        "Kitui": "kitui",
        "Muranga": "muranga | murang'a",
        "Karatina": "karatina",
    }
)

SWAHILI_NUMBERS: dict[str, int] = {
    "moja": 1, "mbili": 2, "tatu": 3, "nne": 4, "tano": 5,
    "sita": 6, "saba": 7, "nane": 8, "tisa": 9, "kumi": 10,
}  # fmt: skip
ENGLISH_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple": 2, "a pair": 1,
}  # fmt: skip
# -1 means "the last one shown".
ENGLISH_ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1,
}  # fmt: skip
SWAHILI_ORDINALS: dict[str, int] = {
    "kwanza": 1, "pili": 2, "tatu": 3, "nne": 4, "tano": 5,
    "sita": 6, "saba": 7, "nane": 8, "tisa": 9, "kumi": 10, "mwisho": -1,
}  # fmt: skip

YES_PHRASES = (
    "yes please | yes | yess | yeah | yea | yep | yup | yap | yeap | okay | ok | k | sure"
    " | of course | alright | correct | go ahead | confirm | confirmed | ndio | ndiyo | sawa sawa"
    " | sawa | poa | fiti | haya | kabisa | eeh | ehe | ee | naam | iko sawa"
).split(" | ")
NO_PHRASES = (
    "no thanks | no | nope | nah | hapana | la | siwezi | sitaki | not now | not yet | si sasa"
    " | bado | wacha"
).split(" | ")

# Words that carry a language. Loanwords shared by both (cart, size, order, delivery, garment
# and colour names, "ok", "please") are deliberately in neither list.
SWAHILI_WORDS = frozenset(
    """
    nataka ningependa naomba nipe nipatie niletee nitumie nionyeshe niambie nikuulize nauliza
    naweza unaweza mnaweza mko uko niko tuko iko ziko kuko yuko zipo ipo kuna hakuna hiyo hizo
    hii hizi ile zile iyo izo hio hicho hiki kile hilo hili lile ya la za wa cha vya kwa na ni
    si sio siyo je gani ngapi bei pesa doo ganji sasa hapana ndio ndiyo ndo sawa asante
    asanteni karibu habari hujambo sijambo mambo niaje vipi poa fiti safi mzuri nzuri rafiki
    mimi mi wewe sisi yangu yako yake yetu yenu wangu wako langu changu zangu wapi lini aje vile
    venye kitu vitu mtu watu kuongea ongea lipa lipia toa ondoa weka futa ongeza punguza yote
    zote tu pia lakini kama sababu rangi saizi nguo moja mbili tatu nne tano sita saba nane tisa
    kumi elfu mia pili kwanza mwisho chini juu zaidi kubwa ndogo kidogo leo kesho jana saa siku
    wiki mzigo tafadhali pole shukran kwaheri baadaye nashukuru ubarikiwe sana manze msee buda
    bana maze kwani mbona wacha ngoja tena bado nini nani hapa huko hapo ama au ata hata haya
    sitaki siwezi chagua chukua nunua simu namba nambari hivi saidia nisaidie msaada tafuta
    natafuta ina nyuma mbele badala iwe tangu nione zingine nyingine chochote upya duka harusi
    mapya asubuhi mchana jioni usiku kusema sema mwenyewe tumia tuma huku naishi nakaa nakuja
    ndefu fupi dada kaka mresh kuja enda leta nipigia wenu ingine kila
    """.split()
)
ENGLISH_WORDS = frozenset(
    """
    i i'm i'll i've i'd me my mine you you're you've your we us our it it's its this that these
    those the a an do does did is are was were be been have has had want wanted need would could
    can will shall should like love thanks thank hi hello hey hallo good morning afternoon evening
    what what's where where's when how which who why much many any some in on at of to for with
    from and or but not no yes yeah yep nope sure there here show send get give see look looking
    find go come available still just only also too more less than under below above over about
    price cost pay paid paying buy take add remove empty clear make change instead arrive
    received receive deliver talk speak person human someone real call bye goodbye cheap expensive
    nice beautiful lovely great already yet through gone done all everything first second third
    last item items new same other another else long big got kindly dear madam sir ready let
    something so very helping helpful been back sent money open close time shop located return
    fit doesn't don't haven't isn't anymore way track picked far sell saw discount delivering
    days nothing once work stay live near opposite address because if then they them he she his
    her him people thing things know think out check proceed up down off let's going expect
    update arrived hasn't changed mind hope well lot put into onto before after now today
    tomorrow yesterday week weekend outfit clothes anything somebody anyone
    """.split()
)
