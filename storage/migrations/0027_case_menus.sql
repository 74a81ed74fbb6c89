-- The category or reason menu open on a case's post in the review chat. It was kept in the
-- memory of the process whose moderator opened it, so another instance's redraw of the post
-- (the delivery worker's count update, a note) drew the main buttons over it and the menu was
-- gone. Kept here, every instance's redraw shows the same menu with its prompt, the delivery
-- worker (on whichever instance leads) closes one left open past open_until and redraws its
-- post, and a decision or Back on any instance closes it (deletes its row).
CREATE TABLE case_menus (
    case_id    INTEGER PRIMARY KEY REFERENCES cases (id),
    menu       TEXT NOT NULL CHECK (menu IN ('categories', 'reasons')),
    opened_at  TEXT NOT NULL,
    open_until TEXT NOT NULL
) STRICT;

CREATE INDEX case_menus_until ON case_menus (open_until);
