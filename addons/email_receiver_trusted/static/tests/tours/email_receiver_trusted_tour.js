/** The bookkeeper's path: Facturatie → Leveranciers → Vertrouwde afzenders,
 * a receiver, its received mail; then the log from its own menu. */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// The action's own list, not the log list inside the receiver's form.
const LIST = ".o_action_manager > .o_list_view";

function screenshot(name, scrollTo = null) {
    // The root conftest saves the page as the addon's screenshot `name`
    // (ODOO_TOUR_SCREENSHOTS=1); the wait lets the page settle first.
    return async () => {
        if (scrollTo) {
            document.querySelector(scrollTo).scrollIntoView({ block: "end" });
        }
        console.log(`screenshot:email_receiver_trusted/${name}`);
        await new Promise((resolve) => setTimeout(resolve, 800));
    };
}

registry.category("web_tour.tours").add("email_receiver_trusted_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Invoicing app",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Vendors menu",
            trigger: ".dropdown-toggle[data-menu-xmlid='account.menu_finance_payables']",
            run: "click",
        },
        {
            content: "Open the trusted senders",
            trigger: "a[data-menu-xmlid='email_receiver_trusted.email_receiver_trusted_menu']",
            run: "click",
        },
        {
            content: "Open the supplier's receiver",
            trigger: `${LIST} .o_data_row td:contains('Tour Leverancier BV')`,
            run: "click",
        },
        {
            content: "The receiver with its generated address and log",
            trigger: ".o_form_view .o_field_widget[name=alias_email]:contains('@')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=log_ids] .o_data_row",
            run: screenshot("receiver_form", ".o_form_view .o_notebook"),
        },
        {
            content: "Open the received mail of this receiver",
            trigger: ".o_form_view button[name=action_open_logs]",
            run: "click",
        },
        {
            content: "Both mails are in the log: one bill, one refused",
            trigger: `${LIST} .o_data_row:contains('Factuur TOUR-2') .o_field_badge`,
        },
        {
            trigger: `${LIST} .o_data_row:contains('Factuur TOUR-1')`,
            run: screenshot("received_mail"),
        },
        {
            content: "Open the accepted mail",
            trigger: `${LIST} .o_data_row td:contains('Factuur TOUR-1')`,
            run: "click",
        },
        {
            content: "It names the bill made of it",
            trigger: ".o_form_view .o_field_widget[name=move_id] a.o_form_uri",
        },
        {
            content: "The received mail is in the Vendors menu too",
            trigger: ".dropdown-toggle[data-menu-xmlid='account.menu_finance_payables']",
            run: "click",
        },
        {
            trigger: "a[data-menu-xmlid='email_receiver_trusted.email_receiver_log_menu']",
            run: "click",
        },
        {
            content: "The log of all receivers",
            trigger: `${LIST} .o_data_row:contains('Factuur TOUR-2')`,
        },
    ],
});
