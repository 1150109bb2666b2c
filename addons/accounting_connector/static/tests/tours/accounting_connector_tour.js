import { registry } from "@web/core/registry";

function screenshot(name) {
    return async () => {
        console.log(`screenshot:accounting_connector/${name}`);
        await new Promise((resolve) => setTimeout(resolve, 800));
    };
}

// The bookkeeper follows an accountant instruction from the monitoring: the
// dossier code was wrong; she corrects it on the blocked dossier and restarts.
registry.category("web_tour.tours").add("accounting_connector_instruction_tour", {
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row:contains(Fietsenmaker De Vries) td[name=instruction_action]:contains(dossiercode)",
            run: screenshot("monitoring"),
        },
        {
            trigger: ".o_list_view .o_data_row td[name=record_name]:contains(VF/2026/0042)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=error_message]:contains(DV-01)",
            run: screenshot("task_instruction"),
        },
        {
            trigger: ".o_form_view .o_field_widget[name=dossier_id] a.o_form_uri",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Geblokkeerd)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=open_instruction_ids] .o_data_row:contains(DV-01)",
            run: screenshot("blocked_dossier"),
        },
        {
            trigger: ".o_form_view .o_field_widget[name=code] input",
            run: "edit DV-001",
        },
        {
            trigger: ".o_form_view button[name=action_restart_failed_tasks]",
            run: "click",
        },
        {
            // the button saved the code first, then restarted the task
            trigger: ".o_form_view .o_form_status_indicator_buttons.invisible:not(:visible)",
        },
        {
            trigger: ".o_form_view button[name=action_restart_failed_tasks]:enabled",
        },
        {
            trigger: ".o_breadcrumb a:contains(VF/2026/0042)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Wachtend)",
        },
        {
            trigger: ".o_form_view:not(:has(button[name=action_restart]))",
        },
    ],
});
