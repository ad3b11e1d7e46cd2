"""Reply templates in English and Swahili, filled only with facts from tools and the database."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from duka.orchestrator.cart_model import Cart

TEXT: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hi{name}! Welcome to {shop}. Tell me what you're looking for (e.g. 'red dress "
        "size M under 3k') or send a photo and I'll find it in our stock.",
        "sw": "Karibu{name}! Hapa ni {shop}. Niambie unatafuta nini (mfano 'gauni nyekundu size "
        "M chini ya 3k') au tuma picha nikutafutie.",
    },
    "results": {"en": "Here's what we have in stock:", "sw": "Hivi ndivyo tulivyo navyo:"},
    "results_photo": {
        "en": "Closest matches to your photo:",
        "sw": "Hizi ndizo zinafanana na picha yako:",
    },
    "pick_hint": {
        "en": "Reply e.g. 'I want #1 in size M'.",
        "sw": "Jibu mfano 'nataka #1 size M'.",
    },
    "no_results": {
        "en": "Sorry, I couldn't find that in stock right now. Try another colour, style or "
        "budget, or send a photo.",
        "sw": "Pole, sijapata hiyo kwa stock sasa hivi. Jaribu rangi, mtindo au bei nyingine, "
        "au tuma picha.",
    },
    "photo_failed": {
        "en": "Sorry, I couldn't open that photo. Please send it again as an image (JPG/PNG).",
        "sw": "Pole, sijaweza kufungua picha hiyo. Tafadhali itume tena kama picha (JPG/PNG).",
    },
    "unavailable": {
        "en": "Sorry, that item is no longer available. Tell me what you're looking for and "
        "I'll show you what we have.",
        "sw": "Pole, hiyo haipatikani tena. Niambie unatafuta nini nikuonyeshe tulicho nacho.",
    },
    "media_unsupported": {
        "en": "I can read text and photos. Please type your message or send a photo.",
        "sw": "Naweza kusoma maandishi na picha. Tafadhali andika au tuma picha.",
    },
    "how_many": {"en": "How many would you like of {item}?", "sw": "Unataka ngapi za {item}?"},
    "too_many_pushes": {
        "en": "You've had several M-Pesa prompts in the last hour, so I can't send another "
        "right now. Please try again later or pay when the current prompt appears.",
        "sw": "Umepokea maombi kadhaa ya M-Pesa ndani ya saa moja, siwezi kutuma lingine sasa. "
        "Tafadhali jaribu tena baadaye.",
    },
    "which_item": {
        "en": "Which one? Reply with its number, e.g. #1.",
        "sw": "Ipi? Jibu na namba yake, mfano #1.",
    },
    "nothing_shown": {
        "en": "Tell me what you're looking for first and I'll show you options.",
        "sw": "Niambie kwanza unatafuta nini nikuonyeshe.",
    },
    "which_size": {
        "en": "Which size would you like for {item}? Available: {sizes}.",
        "sw": "Unataka size gani ya {item}? Zilizopo: {sizes}.",
    },
    "size_unavailable": {
        "en": "{item} doesn't come in size {size}. Available: {sizes}.",
        "sw": "{item} haipatikani kwa size {size}. Zilizopo: {sizes}.",
    },
    "out_of_stock": {
        "en": "Sorry, we only have {available} of {item}{in_size} left.",
        "sw": "Pole, zimebaki {available} tu za {item}{in_size}.",
    },
    "added": {"en": "Added {item} to your cart.", "sw": "Nimeongeza {item} kwa cart yako."},
    "removed": {"en": "Removed {item} from your cart.", "sw": "Nimetoa {item} kwa cart yako."},
    "quantity_set": {"en": "Updated: {item}.", "sw": "Nimebadilisha: {item}."},
    "not_in_cart": {"en": "That item isn't in your cart.", "sw": "Hiyo haiko kwa cart yako."},
    "which_cart_item": {
        "en": "Which one do you mean: {items}?",
        "sw": "Unamaanisha ipi: {items}?",
    },
    "cart": {"en": "Your cart:", "sw": "Cart yako:"},
    "cart_empty": {"en": "Your cart is empty.", "sw": "Cart yako haina kitu."},
    "cart_cleared": {"en": "Done, your cart is now empty.", "sw": "Sawa, cart yako iko wazi sasa."},
    "checkout_prompt": {
        "en": "Ready to checkout? Reply 'checkout'.",
        "sw": "Uko tayari kulipa? Jibu 'checkout'.",
    },
    "ask_address": {
        "en": "Where should we deliver? Send your area and a landmark (e.g. 'Kilimani, "
        "Argwings Kodhek Rd, Apt 4B').",
        "sw": "Tukuletee wapi? Tuma eneo na alama (mfano 'Kilimani, Argwings Kodhek Rd, Apt 4B').",
    },
    "stk_sent": {
        "en": "Order total {total} (incl. delivery {fee}). I've sent an M-Pesa prompt to "
        "{phone}. Enter your PIN to pay.",
        "sw": "Jumla ya order ni {total} (pamoja na delivery {fee}). Nimetuma ombi la M-Pesa "
        "kwa {phone}. Weka PIN yako kulipa.",
    },
    "confirm_payer": {
        "en": "Send the M-Pesa prompt to {phone}? That phone's owner will be asked for their "
        "PIN. Reply YES to confirm or NO to cancel.",
        "sw": "Nitume ombi la M-Pesa kwa {phone}? Mwenye simu hiyo ataombwa aweke PIN yake. "
        "Jibu NDIO kuthibitisha au HAPANA kughairi.",
    },
    "payer_declined": {
        "en": "Okay, I haven't sent any M-Pesa prompt. Reply 'checkout' to pay from this "
        "WhatsApp number, or send another M-Pesa number.",
        "sw": "Sawa, sijatuma ombi lolote la M-Pesa. Jibu 'checkout' kulipa kwa namba hii ya "
        "WhatsApp, au tuma namba nyingine ya M-Pesa.",
    },
    "payer_limit": {
        "en": "Sorry, I can't send an M-Pesa prompt to that number today: paying from a number "
        "other than your own is limited each day. Reply 'checkout' to pay from this WhatsApp "
        "number instead.",
        "sw": "Pole, siwezi kutuma ombi la M-Pesa kwa namba hiyo leo: kulipa kwa namba isiyo "
        "yako kuna kikomo kila siku. Jibu 'checkout' kulipa kwa namba hii ya WhatsApp.",
    },
    "sold_out": {
        "en": "Sorry, {items} just sold out and I've removed it from your cart.",
        "sw": "Pole, {items} imeisha sasa hivi na nimeitoa kwa cart yako.",
    },
    "invalid_phone": {
        "en": "That phone number doesn't look like a Kenyan M-Pesa number. Send one like "
        "0712 345 678.",
        "sw": "Namba hiyo si ya M-Pesa ya Kenya. Tuma kama 0712 345 678.",
    },
    "gateway_down": {
        "en": "M-Pesa isn't responding right now; nothing was charged. Reply 'checkout' to "
        "try again in a minute.",
        "sw": "M-Pesa haijibu sasa hivi; hujakatwa pesa. Jibu 'checkout' kujaribu tena baada "
        "ya dakika moja.",
    },
    "already_pending": {
        "en": "An M-Pesa prompt for your order is already on your phone. Enter your PIN to pay.",
        "sw": "Ombi la M-Pesa la order yako tayari liko kwa simu yako. Weka PIN kulipa.",
    },
    "outcome_unknown": {
        "en": "I'm checking with M-Pesa whether the prompt reached you; I'll confirm shortly.",
        "sw": "Ninathibitisha na M-Pesa kama ombi limefika; nitakujulisha punde.",
    },
    "no_order": {"en": "You don't have an order with us yet.", "sw": "Bado huna order nasi."},
    "order_status": {
        "en": "Your order of {total}: payment {payment}, delivery {delivery}.",
        "sw": "Order yako ya {total}: malipo {payment}, delivery {delivery}.",
    },
    "payment_paid": {
        "en": "Your payment of {total} came through. M-Pesa receipt: {receipt}.",
        "sw": "Malipo yako ya {total} yamefika. Risiti ya M-Pesa: {receipt}.",
    },
    "payment_pending": {
        "en": "Your payment of {total} is still waiting: the M-Pesa prompt was sent at {time} "
        "to {phone}, check your phone and enter your PIN. If it doesn't show within a minute, "
        "type 'checkout' and I'll try again.",
        "sw": "Malipo yako ya {total} bado yanasubiri: ombi la M-Pesa lilitumwa saa {time} kwa "
        "{phone}, angalia simu yako uweke PIN. Kama halitaonekana baada ya dakika moja, andika "
        "'checkout' nijaribu tena.",
    },
    "payment_failed": {
        "en": "The M-Pesa payment of {total} didn't go through, so nothing was charged. Type "
        "'checkout' to get a new prompt.",
        "sw": "Malipo ya M-Pesa ya {total} hayakupita, hujakatwa pesa. Andika 'checkout' "
        "upate ombi jipya.",
    },
    "payment_cancelled": {
        "en": "The M-Pesa prompt for {total} was cancelled, so nothing was charged. Type "
        "'checkout' to get a new prompt.",
        "sw": "Ombi la M-Pesa la {total} lilighairiwa, hujakatwa pesa. Andika 'checkout' upate "
        "ombi jipya.",
    },
    "payment_expired": {
        "en": "The M-Pesa prompt for {total} timed out before it was paid, so nothing was "
        "charged. Type 'checkout' to get a new prompt.",
        "sw": "Muda wa ombi la M-Pesa la {total} uliisha kabla ya kulipwa, hujakatwa pesa. "
        "Andika 'checkout' upate ombi jipya.",
    },
    "no_payment": {
        "en": "There's no payment open for you right now. Type 'checkout' when your cart is "
        "ready and I'll send the M-Pesa prompt.",
        "sw": "Huna malipo yanayosubiri sasa hivi. Andika 'checkout' cart yako ikiwa tayari "
        "nikutumie ombi la M-Pesa.",
    },
    "receipt_noted": {
        "en": "Thanks, I've noted M-Pesa code {code}. The owner will confirm the payment and "
        "get back to you here.",
        "sw": "Asante, nimeandika code ya M-Pesa {code}. Mwenye duka atathibitisha malipo na "
        "kukujibu hapa.",
    },
    "handover": {
        "en": "Sure, I've asked the owner to reply to you here. They'll get back to you shortly.",
        "sw": "Sawa, nimemwomba mwenye duka akujibu hapa. Atakujibu hivi karibuni.",
    },
    "owner_alert": {
        "en": 'Customer {phone} wants to talk to a person on WhatsApp. Last message: "{text}"',
        "sw": "",
    },
    "complaint": {
        "en": "I'm so sorry about that. I've flagged this for the owner, who will follow up with "
        "you here shortly to put it right.",
        "sw": "Pole sana kwa hilo. Nimemjulisha mwenye duka, atakufuatilia hapa hivi karibuni "
        "kulitatua.",
    },
    "owner_complaint": {
        "en": 'Customer {phone} has a complaint on WhatsApp: "{text}"',
        "sw": "",
    },
    # The reason line of the owner-alert template (outside the owner's own 24-hour window).
    "owner_alert_reason": {"en": "a customer wants to talk to a person", "sw": ""},
    "owner_complaint_reason": {"en": "a customer has a complaint", "sw": ""},
    "shop_location": {"en": "We're at {location}.", "sw": "Tuko {location}."},
    "shop_directions": {"en": "Directions: {directions}", "sw": "Maelekezo: {directions}"},
    "shop_hours": {"en": "Opening hours: {hours}.", "sw": "Saa za kazi: {hours}."},
    "delivery_to": {
        "en": "Yes, we deliver to {area}: delivery is {fee}.",
        "sw": "Ndio, tunaleta {area}: delivery ni {fee}.",
    },
    "delivery_fees": {"en": "Delivery fees: {fees}.", "sw": "Bei ya delivery: {fees}."},
    "delivery_time": {"en": "Delivery time: {times}.", "sw": "Muda wa delivery: {times}."},
    "pickup_yes": {
        "en": "Yes, you can pick up your order{where}.",
        "sw": "Ndio, unaweza kuchukua order yako mwenyewe{where}.",
    },
    "pickup_no": {
        "en": "Sorry, we don't do pickup; we deliver to you.",
        "sw": "Pole, hatuna pickup; tunakuletea.",
    },
    "pod_yes": {
        "en": "Yes, you can pay on delivery.",
        "sw": "Ndio, unaweza kulipa ukipokea mzigo.",
    },
    "pod_no": {
        "en": "We don't do pay on delivery: you pay with M-Pesa before we send your order.",
        "sw": "Hatuna malipo wakati wa kupokea: unalipa kwa M-Pesa kabla tukutumie order.",
    },
    "pod_everywhere": {
        "en": "Yes, you can pay on delivery wherever we deliver.",
        "sw": "Ndio, unaweza kulipa ukipokea mzigo popote tunapoleta.",
    },
    "pod_some_zones": {
        "en": "You can pay on delivery in {zones}; elsewhere you pay with M-Pesa before we send "
        "your order.",
        "sw": "Unaweza kulipa ukipokea mzigo ukiwa {zones}; kwingine unalipa kwa M-Pesa kabla "
        "tukutumie order.",
    },
    # Pay on delivery chosen in chat (orchestrator/pod_flow.py).
    "pod_how_to_choose": {
        "en": "Tell me \"I'll pay on delivery\" and I'll place your order that way.",
        "sw": 'Niambie "nitalipa nikipokea" nami nitaweka order yako hivyo.',
    },
    "pod_placed": {
        "en": "Done! Your order is placed to pay on delivery, no M-Pesa prompt now. Total "
        "{total} (incl. delivery {fee}): pay {total} when it arrives.",
        "sw": "Sawa! Order yako imewekwa, utalipa ukipokea, hakuna ombi la M-Pesa sasa. Jumla "
        "{total} (pamoja na delivery {fee}): lipa {total} mzigo ukifika.",
    },
    "pod_noted": {
        "en": "Sure, you can pay on delivery where we allow it.",
        "sw": "Sawa, unaweza kulipa ukipokea pale tunaporuhusu.",
    },
    "pod_not_here": {
        "en": "Sorry, pay on delivery isn't available for {place}: you pay with M-Pesa before "
        "we send your order.",
        "sw": "Pole, kulipa ukipokea hakupatikani kwa {place}: unalipa kwa M-Pesa kabla "
        "tukutumie order.",
    },
    "pod_pay_offer": {
        "en": "Your total is {total}. Tap Pay with M-Pesa when you're ready for the prompt.",
        "sw": "Jumla yako ni {total}. Bonyeza Lipa kwa M-Pesa ukiwa tayari kwa ombi.",
    },
    "pod_waiting": {
        "en": "Your order of {total} is placed to pay on delivery: pay {total} when it arrives.",
        "sw": "Order yako ya {total} imewekwa, utalipa ukipokea: lipa {total} mzigo ukifika.",
    },
    "pod_prompt_open": {
        "en": "Your order of {total} already has its M-Pesa payment under way. If the prompt "
        "fails or you cancel it, tell me again and I'll place it to pay on delivery.",
        "sw": "Order yako ya {total} tayari ina malipo ya M-Pesa yanayoendelea. Ombi likishindwa "
        "au ukilikataa, niambie tena nitaiweka ulipe ukipokea.",
    },
    "owner_pod_alert": {
        "en": "New pay-on-delivery order: {phone}, {total}, to {address}. Record the payment "
        "in Orders when the rider collects it.",
    },
    "shop_returns": {
        "en": "Returns and exchanges: {policy}",
        "sw": "Kurudisha na kubadilisha: {policy}",
    },
    "pay_methods": {"en": "You can pay by {methods}.", "sw": "Unaweza kulipa kwa {methods}."},
    "pay_prompt": {
        "en": "At checkout I can also send an M-Pesa prompt to your phone.",
        "sw": "Ukilipa, naweza pia kukutumia ombi la M-Pesa kwa simu yako.",
    },
    "ask_owner": {
        "en": "I'll ask the owner about {topics} and get back to you here.",
        "sw": "Nitamuuliza mwenye duka kuhusu {topics} na nitakujibu hapa.",
    },
    # h-owner: the owner's answer to a question the agent left to them (dashboard)
    "owner_answer": {
        "en": "About your question “{question}”: {answer}",
        "sw": "Kuhusu swali lako “{question}”: {answer}",
    },
    "thanks": {
        "en": "Karibu! Asante for shopping with {shop}.",
        "sw": "Asante sana! Karibu tena {shop}.",
    },
    "other": {
        "en": "I can help you find clothes, check prices and sizes, and pay with M-Pesa. "
        "What are you looking for?",
        "sw": "Naweza kukusaidia kupata nguo, bei na size, na kulipa kwa M-Pesa. Unatafuta nini?",
    },
    "price": {"en": "{item} is {price}.", "sw": "{item} ni {price}."},
    "sizes": {"en": "Sizes: {sizes}.", "sw": "Size: {sizes}."},
    "colors": {"en": "Colours: {colors}.", "sw": "Rangi: {colors}."},
    "stock_left": {"en": "{stock} in stock.", "sw": "Zipo {stock}."},
    # h-guess: never act on a guess (confirmation.py) and waits asked again (routing.py).
    "confirm_action": {
        "en": "Do you want me to {action}? Reply yes or no.",
        "sw": "Unataka {action}? Jibu ndio au hapana.",
    },
    "confirm_choice": {
        "en": "Do you mean:\n1. {first}\n2. {second}\nReply 1 or 2.",
        "sw": "Unamaanisha:\n1. {first}\n2. {second}\nJibu 1 au 2.",
    },
    "do_add_to_cart": {"en": "add {item} to your cart", "sw": "niongeze {item} kwa cart yako"},
    "do_remove_from_cart": {
        "en": "remove {item} from your cart",
        "sw": "nitoe {item} kwa cart yako",
    },
    "do_set_quantity": {
        "en": "change {item} to {quantity}",
        "sw": "nibadilishe {item} ziwe {quantity}",
    },
    "do_change_quantity": {
        "en": "change how many {item} you want",
        "sw": "nibadilishe idadi ya {item}",
    },
    "do_clear_cart": {"en": "empty your cart", "sw": "nitoe kila kitu kwa cart yako"},
    "do_checkout": {
        "en": "check out and pay for your cart",
        "sw": "tuendelee na malipo ya cart yako",
    },
    "do_talk_to_person": {
        "en": "ask the owner to reply to you here",
        "sw": "nimwombe mwenye duka akujibu hapa",
    },
    "do_product_search": {"en": "search our stock for that", "sw": "nikutafutie hiyo kwa stock"},
    "do_view_cart": {"en": "show you your cart", "sw": "nikuonyeshe cart yako"},
    "this_item": {"en": "it", "sw": "hii"},
    "action_expired": {
        "en": "That was a while ago, so I haven't done it. Tell me again what you'd like.",
        "sw": "Muda umepita, kwa hivyo sijaifanya. Niambie tena unachotaka.",
    },
    "no_problem": {
        "en": "Okay, I've left it. Tell me what else you'd like.",
        "sw": "Sawa, nimeiacha. Niambie unachotaka kingine.",
    },
    "ask_pay_phone": {
        "en": "Which M-Pesa number should I send the prompt to? Send one like 0712 345 678, "
        "or reply 'checkout' to pay from this WhatsApp number.",
        "sw": "Nitume ombi la M-Pesa kwa namba gani? Tuma kama 0712 345 678, au jibu "
        "'checkout' kulipa kwa namba hii ya WhatsApp.",
    },
    # Product questions and sold-out items (product_answers.py): values come from the product.
    "pq_material": {"en": "{item}: {material}.", "sw": "{item}: kitambaa ni {material}."},
    "pq_fit": {"en": "{item} fit: {fit}.", "sw": "{item} inavyokaa: {fit}."},
    "pq_described": {"en": "{item}: {description}", "sw": "{item}, maelezo: {description}"},
    "pq_length": {"en": "{item} is a {length} length.", "sw": "{item} ni urefu wa {length}."},
    "pq_colors": {"en": "{item} comes in {colors}.", "sw": "{item} inapatikana rangi {colors}."},
    "pq_not_in_color": {
        "en": "We don't have it in {color} right now.",
        "sw": "Hatuna rangi {color} kwa sasa.",
    },
    "pq_other_colours": {
        "en": "The same style in other colours, in stock:",
        "sw": "Mtindo huo huo kwa rangi zingine, ziko kwa stock:",
    },
    "pq_sizes": {"en": "{item} comes in sizes {sizes}.", "sw": "{item} iko na size {sizes}."},
    "pq_sizes_out": {"en": "Sold out in size {sizes}.", "sw": "Size {sizes} zimeisha."},
    "pq_in_stock": {"en": "{item} is in stock now.", "sw": "{item} iko kwa stock sasa."},
    "pq_ask_owner": {
        "en": "I'll check with the owner about {topics} for {item} and get back to you here.",
        "sw": "Nitamuuliza mwenye duka kuhusu {topics} ya {item} na nitakujibu hapa.",
    },
    "restock_unknown": {
        "en": "{item} is sold out and I don't know yet when it will be back.",
        "sw": "{item} imeisha na sijui bado lini itarudi.",
    },
    "asked_sold_out": {
        "en": "Sorry, {item} is sold out right now.",
        "sw": "Pole, {item} imeisha kwa sasa.",
    },
    "sold_out_alternatives": {
        "en": "Close alternatives in stock:",
        "sw": "Zinazokaribiana nazo, ziko kwa stock:",
    },
    "sold_out_nothing_close": {
        "en": "I have nothing close to it in stock. Tell me what else you're looking for.",
        "sw": "Sina kitu kinachofanana nayo kwa stock. Niambie unatafuta nini kingine.",
    },
    # Voice notes (voice.py): offline, or when one could not be transcribed.
    "voice_note_type": {
        "en": "Sorry, I can't listen to voice notes right now. Please type your message, "
        "or send a photo of what you're looking for.",
        "sw": "Pole, siwezi kusikiliza voice note sasa hivi. Tafadhali andika ujumbe wako, "
        "au tuma picha ya unachotafuta.",
    },
    # Interactive replies and taps (interactive.py, taps.py, tap_flow.py). Button titles stay
    # within WhatsApp's 20 characters, list labels within 20, list titles within 24.
    "btn_see_items": {"en": "See items", "sw": "Ona bidhaa"},
    "btn_sizes": {"en": "sizes", "sw": "size"},
    "btn_choose_size": {"en": "Choose size", "sw": "Chagua size"},
    "btn_pay": {"en": "Pay with M-Pesa", "sw": "Lipa kwa M-Pesa"},
    "btn_edit_cart": {"en": "Edit cart", "sw": "Badilisha cart"},
    "btn_browse": {"en": "Browse", "sw": "Angalia bidhaa"},
    "btn_my_order": {"en": "My order", "sw": "Oda yangu"},
    "btn_person": {"en": "Talk to a person", "sw": "Ongea na mtu"},
    "btn_retry": {"en": "Try again", "sw": "Jaribu tena"},
    "btn_pay_ways": {"en": "Other ways to pay", "sw": "Njia nyingine"},
    "btn_same_address": {"en": "Same as last time", "sw": "Kama mara iliyopita"},
    "btn_pickup": {"en": "Pick up at the shop", "sw": "Nitachukua dukani"},
    # Delivery and pickup points (duka/delivery, checkout_flow.py).
    "btn_pickup_points": {"en": "Pickup point", "sw": "Pickup point"},
    "btn_see_points": {"en": "Pickup points", "sw": "Pickup points"},
    "btn_more_points": {"en": "More pickup points", "sw": "Pickup points zaidi"},
    "ask_address_or_point": {
        "en": "Or tap Pickup point to collect your order near you.",
        "sw": "Au bonyeza Pickup point uchukue oda yako karibu nawe.",
    },
    "pickup_points_near": {
        "en": "Pickup points nearest {area} first: tap one to choose it. In another area? Tell "
        "me which.",
        "sw": "Pickup points za karibu na {area} kwanza: bonyeza moja uchague. Uko eneo lingine? "
        "Niambie ni wapi.",
    },
    "pickup_points_any": {
        "en": "Our pickup points, the most used first: tap one to choose it. Tell me your area "
        "to see the nearest.",
        "sw": "Pickup points zetu, zinazotumika zaidi kwanza: bonyeza moja uchague. Niambie uko "
        "eneo gani nikuonyeshe za karibu.",
    },
    "pickup_point_gone": {
        "en": "That pickup point is no longer available. Please choose another.",
        "sw": "Pickup point hiyo haipatikani tena. Tafadhali chagua nyingine.",
    },
    "delivery_fee_pending": {
        "en": "Thanks! We don't have a set delivery fee for {address} yet: the shop will "
        "confirm it and send you your total, then you can pay.",
        "sw": "Asante! Bado hatuna bei ya delivery ya {address}: duka litathibitisha bei na "
        "kukutumia jumla yako, kisha utalipa.",
    },
    "delivery_fee_waiting": {
        "en": "The shop hasn't confirmed the delivery fee to {address} yet. You'll get your "
        "total as soon as it does.",
        "sw": "Duka bado halijathibitisha bei ya delivery hadi {address}. Utapata jumla yako "
        "mara litakapothibitisha.",
    },
    "delivery_fee_set": {
        "en": "Delivery to {address} is {fee}. Your total is {total}. Tap Pay with M-Pesa "
        "below to get the M-Pesa prompt.",
        "sw": "Delivery hadi {address} ni {fee}. Jumla yako ni {total}. Bonyeza Lipa kwa "
        "M-Pesa hapa chini upate ombi la M-Pesa.",
    },
    "delivery_days": {"en": "Expected delivery: {days}.", "sw": "Muda wa delivery: {days}."},
    "owner_fee_alert": {
        "en": "Set a delivery fee: {phone} wants delivery to {address}. Open Orders in your "
        "dashboard to set it.",
    },
    # Remember the customer (customer_memory.py, repeat_order.py, orders/suggestions.py).
    "usual_size": {
        "en": "In your usual {size}? Reply yes, or pick another size.",
        "sw": "Kwa size yako ya kawaida, {size}? Jibu ndio, au chagua size nyingine.",
    },
    "btn_usual_size": {"en": "your usual size", "sw": "size yako ya kawaida"},
    "btn_repeat": {"en": "Same as last time", "sw": "Oda ya mwisho tena"},
    "btn_repeat_hint": {"en": "Your last order again", "sw": "Oda yako ya mwisho tena"},
    "repeat_added": {
        "en": "Here's your last order again, at today's prices:",
        "sw": "Hii ni oda yako ya mwisho tena, kwa bei za leo:",
    },
    "repeat_new_price": {
        "en": "{item} is now {price} (it was {was}).",
        "sw": "{item} sasa ni {price} (ilikuwa {was}).",
    },
    "repeat_sold_out": {
        "en": "Sorry, {item} is sold out right now, so I left it out.",
        "sw": "Pole, {item} imeisha kwa sasa, kwa hivyo sijaiweka.",
    },
    "repeat_nothing_left": {
        "en": "Sorry, everything from your last order is sold out right now. Tap Browse to see "
        "what we have.",
        "sw": "Pole, kila kitu cha oda yako ya mwisho kimeisha kwa sasa. Bonyeza Angalia bidhaa "
        "uone tulicho nacho.",
    },
    "repeat_no_order": {
        "en": "I can't find a paid order of yours yet. Tell me what you're looking for, or tap "
        "Browse.",
        "sw": "Sijapata oda yako iliyolipwa bado. Niambie unatafuta nini, au bonyeza Angalia "
        "bidhaa.",
    },
    "suggest_header": {
        "en": "Thank you for your order! You may also like:",
        "sw": "Asante kwa oda yako! Unaweza pia kupenda:",
    },
    "tap_stale": {
        "en": "Sorry, that option is no longer available.",
        "sw": "Pole, chaguo hilo halipatikani tena.",
    },
    "edit_cart_hint": {
        "en": "To change it, reply e.g. 'make it 2' or 'remove it'.",
        "sw": "Kubadilisha, jibu mfano 'weka 2' au 'toa hiyo'.",
    },
    # Consent (duka/consent.py): the one confirmation of STOP / ACHA and START / ANZA.
    "opted_out": {
        "en": "Done: {shop} won't send you order updates or offers any more. We'll still "
        "answer whenever you write to us. Reply START to get them again.",
        "sw": "Sawa: {shop} haitakutumia tena taarifa za oda wala matangazo. Bado tutakujibu "
        "ukituandikia. Jibu ANZA kuzipata tena.",
    },
    "opted_in": {
        "en": "You're subscribed: {shop} will send you order updates and offers. Reply STOP "
        "any time to stop them.",
        "sw": "Umejiunga: {shop} itakutumia taarifa za oda na matangazo. Jibu ACHA wakati "
        "wowote kuzisimamisha.",
    },
    # Resend (checkout_flow.resend_or_wait, duka/orders/resend.py).
    "payment_wait": {
        "en": "Your M-Pesa prompt for {total} went to {phone} at {time} and M-Pesa still has "
        "it open, so I can't send another yet. Check your phone and enter your PIN. If it "
        "hasn't come by {until}, ask me again and I'll send a new one.",
        "sw": "Ombi la M-Pesa la {total} lilitumwa kwa {phone} saa {time} na M-Pesa bado "
        "inalisubiri, kwa hivyo siwezi kutuma lingine sasa. Angalia simu yako uweke PIN. "
        "Kama halijafika kufikia saa {until}, niulize tena nikutumie jipya.",
    },
    # Lipa pole pole (layaway_flow.py); amounts and terms come from duka.orders.layaway.
    "layaway_off": {
        "en": "Sorry, this shop doesn't offer lipa pole pole (paying in instalments) right now. "
        "Reply 'checkout' to pay the full amount.",
        "sw": "Pole, duka hili halina lipa pole pole kwa sasa. Jibu 'checkout' kulipa kiasi chote.",
    },
    "layaway_how": {
        "en": "Yes, you can lipa pole pole: pay a deposit of at least {percent}% and the rest "
        "within {days} days; we hold the items for you. Add what you'd like to your cart first.",
        "sw": "Ndio, unaweza kulipa pole pole: lipa deposit ya angalau {percent}% na salio "
        "ndani ya siku {days}; tunakuwekea bidhaa. Weka unachotaka kwa cart kwanza.",
    },
    "layaway_not_for": {
        "en": "Sorry, {items} can't be paid pole pole. Reply 'checkout' to pay in full, or "
        "remove it from your cart.",
        "sw": "Pole, {items} haiwezi kulipwa pole pole. Jibu 'checkout' kulipa yote, au "
        "iondoe kwa cart.",
    },
    "layaway_deposit_low": {
        "en": "The deposit has to be at least {least} (the total is {total}). Tell me an "
        'amount from {least}, or say "lipa pole pole" for the minimum.',
        "sw": "Deposit lazima iwe angalau {least} (jumla ni {total}). Niambie kiasi kuanzia "
        '{least}, au sema "lipa pole pole" kwa kiwango cha chini.',
    },
    "layaway_deposit_high": {
        "en": "That's more than the total of {total}. Reply 'checkout' to pay it all now.",
        "sw": "Hiyo ni zaidi ya jumla ya {total}. Jibu 'checkout' kulipa yote sasa.",
    },
    "layaway_terms": {
        "en": "Lipa pole pole: order total {total}. Deposit at least {percent}% ({least}), "
        "then pay the rest within {days} days, in any amounts. Your items are held for you "
        "from the deposit until then.",
        "sw": "Lipa pole pole: jumla ya oda {total}. Deposit angalau {percent}% ({least}), "
        "kisha lipa salio ndani ya siku {days}, kwa kiasi chochote. Bidhaa zako "
        "zinahifadhiwa kuanzia deposit hadi wakati huo.",
    },
    "layaway_deposit_sent": {
        "en": "I've sent an M-Pesa prompt for your deposit of {deposit} to {phone}. Enter "
        "your PIN to pay.",
        "sw": "Nimetuma ombi la M-Pesa la deposit yako ya {deposit} kwa {phone}. Weka PIN "
        "yako kulipa.",
    },
    "layaway_none": {
        "en": 'You don\'t have a lipa pole pole order with us. Say "lipa pole pole" at '
        "checkout to pay in instalments.",
        "sw": 'Huna oda ya lipa pole pole kwetu. Sema "lipa pole pole" ukilipa ili ulipe '
        "kidogo kidogo.",
    },
    "layaway_balance": {
        "en": "Your lipa pole pole order: paid {received} of {total}. Balance {balance}, due "
        'by {due}. Reply e.g. "pay 1000" or "pay balance" to pay more.',
        "sw": "Oda yako ya lipa pole pole: umelipa {received} kati ya {total}. Salio ni "
        '{balance}, kufikia {due}. Jibu mfano "nilipe 1000" au "lipa salio" kulipa zaidi.',
    },
    "layaway_deposit_waiting": {
        "en": "Your lipa pole pole order of {total} is waiting for its deposit. Enter your "
        "M-Pesa PIN on the prompt to pay it.",
        "sw": "Oda yako ya lipa pole pole ya {total} inasubiri deposit. Weka PIN ya M-Pesa "
        "kwenye ombi kuilipa.",
    },
    "layaway_paid": {
        "en": "Your lipa pole pole order of {total} is fully paid. Nothing is left to pay.",
        "sw": "Oda yako ya lipa pole pole ya {total} imelipwa yote. Hakuna salio.",
    },
    "layaway_lapsed": {
        "en": "The lipa pole pole term for your order of {total} ended on {due} with "
        "{balance} unpaid. The shop will contact you about the {received} you paid.",
        "sw": "Muda wa lipa pole pole wa oda yako ya {total} uliisha {due} ikiwa na salio la "
        "{balance}. Duka litawasiliana nawe kuhusu {received} ulizolipa.",
    },
    "layaway_prompt_sent": {
        "en": "I've sent an M-Pesa prompt for {amount} to {phone} (balance before it: "
        "{balance}). Enter your PIN to pay.",
        "sw": "Nimetuma ombi la M-Pesa la {amount} kwa {phone} (salio kabla yake: {balance}). "
        "Weka PIN yako kulipa.",
    },
    "layaway_over_balance": {
        "en": "Your balance is {balance}, so you can pay up to {balance}.",
        "sw": "Salio lako ni {balance}, kwa hivyo unaweza kulipa hadi {balance}.",
    },
    "layaway_prompt_open": {
        "en": "An M-Pesa prompt for {amount} is already on your phone. Enter your PIN to pay.",
        "sw": "Ombi la M-Pesa la {amount} tayari liko kwa simu yako. Weka PIN kulipa.",
    },
    "prompt_resent": {
        "en": "Your last M-Pesa prompt has ended without a payment.",
        "sw": "Ombi lako la M-Pesa lililopita limeisha bila malipo.",
    },
    "payment_check_failed": {
        "en": "I couldn't reach M-Pesa to check your last prompt, so I haven't sent another "
        "yet. Please ask again in a minute.",
        "sw": "Sikuweza kufikia M-Pesa kuangalia ombi lililopita, kwa hivyo sijatuma lingine "
        "bado. Tafadhali niulize tena baada ya dakika moja.",
    },
    # Till / Paybill payments with a pasted M-Pesa SMS or code (orchestrator/till_flow.py).
    "till_how": {
        "en": "Till number {till} (Lipa na M-Pesa > Buy Goods and Services)",
        "sw": "Till namba {till} (Lipa na M-Pesa > Buy Goods and Services)",
    },
    "paybill_how": {
        "en": "Paybill {paybill}, account {account} (Lipa na M-Pesa > Pay Bill)",
        "sw": "Paybill {paybill}, akaunti {account} (Lipa na M-Pesa > Pay Bill)",
    },
    "till_instructions": {
        "en": "To pay for order {reference} yourself, send {amount} with M-Pesa to:\n{ways}\n"
        "Then paste the M-Pesa SMS, or just its code, here and I'll confirm your payment.",
        "sw": "Kulipia oda {reference} mwenyewe, tuma {amount} kwa M-Pesa kwa:\n{ways}\n"
        "Kisha bandika SMS ya M-Pesa, au code yake tu, hapa nami nitathibitisha malipo yako.",
    },
    "till_nothing_to_pay": {
        "en": "There's nothing to pay for yet: tell me what you'd like and I'll add it to your "
        "cart.",
        "sw": "Hakuna cha kulipia bado: niambie unachotaka nikuongezee kwa cart.",
    },
    "code_paid": {
        "en": "Thank you! M-Pesa payment {receipt} of {amount} is confirmed for your order.",
        "sw": "Asante! Malipo ya M-Pesa {receipt} ya {amount} yamethibitishwa kwa oda yako.",
    },
    "code_part_paid": {
        "en": "Thank you! M-Pesa payment {receipt} is counted: {received} of {total} received, "
        "{balance} still to pay.",
        "sw": "Asante! Malipo ya M-Pesa {receipt} yamehesabiwa: {received} kati ya {total} "
        "yamepokelewa, bado {balance}.",
    },
    "code_already_counted": {
        "en": "M-Pesa payment {receipt} is already counted for your order: nothing more to do.",
        "sw": "Malipo ya M-Pesa {receipt} tayari yamehesabiwa kwa oda yako: hakuna zaidi.",
    },
    "code_checking": {
        "en": "Thanks! I'm checking M-Pesa code {receipt} with M-Pesa now and will message you "
        "as soon as it's confirmed.",
        "sw": "Asante! Ninaangalia code ya M-Pesa {receipt} na M-Pesa sasa hivi, nitakujulisha "
        "punde itakapothibitishwa.",
    },
    "code_reused": {
        "en": "Sorry, M-Pesa code {receipt} has already been used for another payment, so I "
        "can't count it for this order. I've let the shop owner know.",
        "sw": "Samahani, code ya M-Pesa {receipt} imeshatumika kwa malipo mengine, kwa hivyo "
        "siwezi kuihesabu kwa oda hii. Nimemjulisha mwenye duka.",
    },
    "code_not_ours": {
        "en": "Sorry, M-Pesa code {receipt} was not paid to this shop's Till or Paybill, so I "
        "can't count it. I've let the shop owner know.",
        "sw": "Samahani, code ya M-Pesa {receipt} haikulipwa kwa Till au Paybill ya duka hili, "
        "kwa hivyo siwezi kuihesabu. Nimemjulisha mwenye duka.",
    },
    "code_not_matching": {
        "en": "Sorry, the SMS for M-Pesa code {receipt} doesn't match M-Pesa's record of that "
        "payment, so I can't count it. I've let the shop owner know.",
        "sw": "Samahani, SMS ya code ya M-Pesa {receipt} hailingani na rekodi ya M-Pesa ya "
        "malipo hayo, kwa hivyo siwezi kuihesabu. Nimemjulisha mwenye duka.",
    },
    "code_not_found": {
        "en": "Sorry, M-Pesa has no record of payment {receipt} to this shop, so I can't count "
        "it. Please check the code in your M-Pesa SMS. I've let the shop owner know.",
        "sw": "Samahani, M-Pesa haina rekodi ya malipo {receipt} kwa duka hili, kwa hivyo "
        "siwezi kuyahesabu. Tafadhali angalia code kwenye SMS yako ya M-Pesa. Nimemjulisha "
        "mwenye duka.",
    },
    "code_owner_confirms": {
        "en": "Thanks! I've sent M-Pesa code {receipt} to the shop owner, who will confirm your "
        "payment shortly.",
        "sw": "Asante! Nimemtumia mwenye duka code ya M-Pesa {receipt}, atathibitisha malipo "
        "yako hivi karibuni.",
    },
    "code_no_order": {
        "en": "Thanks for M-Pesa code {receipt}. I can't find an unpaid order in this chat for "
        "it, so I've passed it to the shop owner to check.",
        "sw": "Asante kwa code ya M-Pesa {receipt}. Sioni oda ambayo haijalipwa kwenye mazungumzo "
        "haya, kwa hivyo nimempa mwenye duka aiangalie.",
    },
    "code_too_many": {
        "en": "Sorry, I can't check more M-Pesa codes from this chat today. The shop owner will "
        "get back to you.",
        "sw": "Samahani, siwezi kuangalia code zaidi za M-Pesa kutoka kwa mazungumzo haya leo. "
        "Mwenye duka atawasiliana nawe.",
    },
    "owner_code": {
        "en": "M-Pesa code {receipt} from customer {phone}: {reason}.",
        "sw": "",
    },
    # Back-in-stock alerts (restock_offer.py, restock_flow.py, orders/stock_alert_job.py).
    "restock_offer": {
        "en": "Shall I message you when {item} is back? Reply yes, or tap the button.",
        "sw": "Nikutumie ujumbe {item} ikirudi? Jibu ndio, au bonyeza kitufe.",
    },
    "restock_subscribed": {
        "en": "Done! I'll message you as soon as {item} is back in stock.",
        "sw": "Sawa! Nitakutumia ujumbe {item} ikirudi dukani.",
    },
    "back_in_stock": {
        "en": "Good news! {item} is back in stock at {shop}. Tap Buy now or reply yes to get "
        "yours before it's gone.",
        "sw": "Habari njema! {item} imerudi dukani {shop}. Bonyeza Nunua sasa au jibu ndio "
        "uipate kabla haijaisha.",
    },
    "btn_notify": {"en": "Tell me when back", "sw": "Nijulishe ikirudi"},
    "btn_buy_now": {"en": "Buy now", "sw": "Nunua sasa"},
    # Follow-ups (duka/orders/follow_up_job.py): a quiet cart, and an ended M-Pesa prompt.
    "follow_up_cart": {
        "en": "Hi! Your cart at {shop} is still waiting for you.\n{cart}\nTap Pay with M-Pesa "
        "to check out, or Edit cart to change it.",
        "sw": "Habari! Cart yako kwa {shop} bado inakusubiri.\n{cart}\nBonyeza Lipa kwa M-Pesa "
        "ukamilishe oda, au Badilisha cart uibadilishe.",
    },
    "follow_up_prompt": {
        "en": "Hi! Your M-Pesa payment of {total} for {items} at {shop} didn't go through, and "
        "your items are still in your cart. Tap Try again for a new prompt.",
        "sw": "Habari! Malipo yako ya M-Pesa ya {total} kwa {items} kwa {shop} hayakukamilika, "
        "na bidhaa zako bado ziko kwenye cart. Bonyeza Jaribu tena upate ombi jipya.",
    },
    # Data protection (duka/orchestrator/privacy_flow.py): the notice link on a new customer's
    # first reply, her data's download link, and deleting her data after she confirms.
    "privacy_notice_line": {
        "en": "How we use your data: {url}",
        "sw": "Jinsi tunavyotumia data yako: {url}",
    },
    "privacy_export_link": {
        "en": "Here is everything {shop} keeps about you (chats, orders, photo links), as JSON "
        "or CSV: {url}\nThe link works for {days} days.",
        "sw": "Hii ndiyo data yote {shop} inayo kukuhusu (chats, oda, picha), kama JSON au CSV: "
        "{url}\nLink inafanya kazi kwa siku {days}.",
    },
    "privacy_delete_ask": {
        "en": "Delete your data at {shop}? Your chats, photos, name and number will be erased. "
        "Records of what you paid stay, with your number hidden. This cannot be undone.\n"
        "Reply YES to delete or NO to keep it.",
        "sw": "Tufute data yako kwa {shop}? Chats, picha, jina na namba yako zitafutwa. Rekodi "
        "za malipo zinabaki, namba ikiwa imefichwa. Hii haiwezi kurudishwa.\n"
        "Jibu NDIO kufuta au HAPANA kuiacha.",
    },
    "privacy_deleted": {
        "en": "Done: your data at {shop} has been deleted. If you message us again, we start "
        "afresh.",
        "sw": "Tayari: data yako kwa {shop} imefutwa. Ukituandikia tena, tunaanza upya.",
    },
    "privacy_delete_kept": {
        "en": "Okay, nothing was deleted. Tell me what you're looking for.",
        "sw": "Sawa, hakuna kilichofutwa. Niambie unachotafuta.",
    },
    "btn_privacy_delete": {"en": "Yes, delete", "sw": "Ndio, futa"},
    "btn_privacy_keep": {"en": "No, keep", "sw": "Hapana, acha"},
}

# What the agent says it will ask the owner about, per shop topic (shop_flow.py).
TOPIC_NAMES = {
    "en": {
        "location": "where the shop is",
        "directions": "directions to the shop",
        "hours": "opening hours",
        "delivery_time": "delivery times",
        "delivery_fee": "the delivery fee there",
        "pickup": "pickup",
        "pay_on_delivery": "paying on delivery",
        "returns": "returns and exchanges",
        "question": "your question",
    },
    "sw": {
        "location": "mahali duka liko",
        "directions": "maelekezo ya kufika dukani",
        "hours": "saa za kufungua",
        "delivery_time": "muda wa delivery",
        "delivery_fee": "bei ya delivery huko",
        "pickup": "kuchukua mwenyewe",
        "pay_on_delivery": "kulipa ukipokea mzigo",
        "returns": "kurudisha na kubadilisha",
        "question": "swali lako",
    },
}

# What the agent says it will check with the owner about one product (product_answers.py).
PRODUCT_TOPIC_NAMES = {
    "en": {
        "material": "the material",
        "fit": "the fit",
        "length": "the length",
        "care": "washing and care",
        "authenticity": "whether it's original",
        "restock": "when it will be back in stock",
    },
    "sw": {
        "material": "kitambaa",
        "fit": "inavyokaa",
        "length": "urefu",
        "care": "jinsi ya kuifua",
        "authenticity": "kama ni original",
        "restock": "lini itarudi",
    },
}

PAYMENT_WORDS = {
    "en": {
        "pending": "pending",
        "paid": "paid",
        "failed": "failed",
        "cancelled": "cancelled",
        "expired": "expired",
        "shipped": "shipped",
        "delivered": "delivered",
    },
    "sw": {
        "pending": "inasubiri",
        "paid": "imelipwa",
        "failed": "imeshindikana",
        "cancelled": "imeghairiwa",
        "expired": "imepitwa na muda",
        "shipped": "imetumwa",
        "delivered": "imefika",
    },
}


def lang_key(language: str) -> str:
    return "en" if language == "en" else "sw"


def say(key: str, language: str, **values: Any) -> str:
    table = TEXT[key]
    return (table.get(lang_key(language)) or table["en"]).format(**values)


def kes(amount: Decimal | int | float) -> str:
    return f"KES {Decimal(str(amount)):,.0f}"


def product_lines(items: Sequence[Any], start: int = 1) -> str:
    """Numbered list: '1. Name - KES 2,500 (S, M, L)'; `start` continues a list shown before."""
    lines = []
    for number, item in enumerate(items, start):
        sizes = [s for s in item.sizes if s.lower() != "free"]
        suffix = f" ({', '.join(sizes)})" if sizes else ""
        lines.append(f"{number}. {item.name} - {kes(item.price)}{suffix}")
    return "\n".join(lines)


def describe_item(name: str, size: str | None, quantity: int) -> str:
    return f"{quantity} x {name}" + (f" (size {size})" if size else "")


def cart_lines(cart: Cart, language: str) -> str:
    if not cart.items:
        return say("cart_empty", language)
    lines = [say("cart", language)]
    lines += [
        f"- {describe_item(i.name, i.size, i.quantity)} - {kes(i.line_total)}" for i in cart.items
    ]
    lines.append(f"Total: {kes(cart.total)}")
    return "\n".join(lines)
